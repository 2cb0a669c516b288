// The server's signed checkpoint: its exact message (an auditor in any
// language must rebuild it from docs/wire-format.md), signature and JSON.
#include <gtest/gtest.h>

#include "kim/shared/base64.hpp"
#include "kim/shared/checkpoint.hpp"
#include "kim/shared/errors.hpp"

namespace {

kim::Hash32 sample_chain() {
    kim::Hash32 h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(i);
    return h;
}

TEST(checkpoint, message_is_the_documented_text) {
    EXPECT_EQ(kim::checkpoint_message(1000, sample_chain(), 1795000000),
              "kimsync-checkpoint-v1\n1000\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n1795000000");
    EXPECT_EQ(kim::checkpoint_message(0, kim::Hash32{}, 0),
              "kimsync-checkpoint-v1\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n0");
}

TEST(checkpoint, signature_covers_sequence_chain_and_time) {
    kim::crypto::init();
    const auto server = kim::crypto::generate_signing_key();
    const kim::Checkpoint c = kim::sign_checkpoint(42, sample_chain(), 1795000000, server.secret_key);
    EXPECT_TRUE(kim::verify_checkpoint(c, server.public_key));

    auto other_seq = c;
    other_seq.server_seq = 43;
    EXPECT_FALSE(kim::verify_checkpoint(other_seq, server.public_key));
    auto other_chain = c;
    other_chain.chain[5] ^= 1;
    EXPECT_FALSE(kim::verify_checkpoint(other_chain, server.public_key));
    auto other_time = c;
    other_time.time += 1;
    EXPECT_FALSE(kim::verify_checkpoint(other_time, server.public_key));
    EXPECT_FALSE(kim::verify_checkpoint(c, kim::crypto::generate_signing_key().public_key));
}

TEST(checkpoint, json_round_trip_is_strict) {
    kim::crypto::init();
    const auto server = kim::crypto::generate_signing_key();
    const kim::Checkpoint c = kim::sign_checkpoint(7, sample_chain(), 1795000000, server.secret_key);
    const auto j = kim::to_json(c);
    const kim::Checkpoint back = kim::checkpoint_from_json(j);
    EXPECT_EQ(back.server_seq, 7u);
    EXPECT_EQ(back.chain, c.chain);
    EXPECT_EQ(back.time, c.time);
    EXPECT_EQ(back.sig, c.sig);

    auto unknown = j;
    unknown["extra"] = 1;
    EXPECT_THROW(kim::checkpoint_from_json(unknown), kim::InputError);
    auto short_chain = j;
    short_chain["chain"] = kim::base64_encode(kim::Bytes{1, 2, 3});
    EXPECT_THROW(kim::checkpoint_from_json(short_chain), kim::InputError);
    auto negative = j;
    negative["server_seq"] = -1;
    EXPECT_THROW(kim::checkpoint_from_json(negative), kim::InputError);
    EXPECT_THROW(kim::checkpoint_from_json(nlohmann::json::array()), kim::InputError);
}

}  // namespace
