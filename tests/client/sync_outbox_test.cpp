// The replica's side of pushing: the outbox in batches, acknowledgements,
// the sync settings, and what the replica key agrees to sign.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/errors.hpp"
#include "replica_fixture.hpp"
#include "temp_dir.hpp"

namespace {

using kim::client::Replica;
using kim::test::TempDir;
using nlohmann::json;

class sync_outbox : public ::testing::Test {
protected:
    // Seqs of a batch, for compact expectations.
    static std::vector<std::uint64_t> seqs(const std::vector<Replica::OutgoingChange>& batch) {
        std::vector<std::uint64_t> out;
        for (const auto& c : batch) {
            EXPECT_EQ(json::parse(c.envelope).at("seq").get<std::uint64_t>(), c.seq) << "the text is the change it says";
            out.push_back(c.seq);
        }
        return out;
    }

    // a writes `n` changes: a case and n-1 edits of it.
    void write(int n) {
        if (case_id.empty()) {
            case_id = a.create_case({{"name", "Amina Haddad"}, {"phone", "0203 123456"}});
            --n;
        }
        for (int i = 0; i < n; ++i) a.set_fields(case_id, {{"assessment", "Gespräch " + std::to_string(i)}});
    }

    TempDir dir{"kim-sync-outbox"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
    std::string case_id;
};

TEST_F(sync_outbox, a_new_replica_has_no_server_and_everything_in_its_outbox) {
    auto s = a.sync_state();
    EXPECT_EQ(s.server, "");
    EXPECT_EQ(s.pull_cursor, 0u);
    EXPECT_EQ(s.pushed_seq, 0u);
    EXPECT_EQ(s.outbox, 0u);
    EXPECT_EQ(s.last_success, 0);
    write(3);
    EXPECT_EQ(a.sync_state().outbox, 3u);
    EXPECT_EQ(seqs(a.outbox(100, 1 << 20)), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(sync_outbox, holds_own_changes_only_with_their_ciphertexts) {
    write(2);
    const std::string theirs = b.create_case({{"name", "Jonas Becker"}});
    a.import_changes(b.export_changes());
    ASSERT_EQ(a.status().all_changes, 3u);

    const auto batch = a.outbox(100, 1 << 20);
    ASSERT_EQ(batch.size(), 2u);
    for (const auto& outgoing : batch) {
        const json c = json::parse(outgoing.envelope);
        EXPECT_EQ(c["origin"], "hamborn-a");
        // The envelope parses strictly and verifies with a's key: what the server checks.
        const kim::Change change = kim::change_from_json(c);
        const auto key = kim::base64_decode_fixed<32>(a.status().public_key);
        ASSERT_TRUE(key);
        EXPECT_TRUE(kim::verify_change_signature(change, *key));
        EXPECT_TRUE(kim::ciphertexts_match_hashes(change));
        for (const auto& op : change.ops) {
            if (op.confidential()) {
                EXPECT_TRUE(op.ct.has_value()) << "the server needs every ct: " << op.field;
            }
        }
    }
    EXPECT_EQ(a.sync_state().outbox, 2u) << "b's change is not a's to push";
}

TEST_F(sync_outbox, batches_by_count_and_acknowledgements_move_it_on) {
    write(5);
    EXPECT_EQ(seqs(a.outbox(2, 1 << 20)), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(seqs(a.outbox(2, 1 << 20)), (std::vector<std::uint64_t>{1, 2})) << "reading the outbox changes nothing";
    a.acknowledge_pushed(2);
    EXPECT_EQ(a.sync_state().pushed_seq, 2u);
    EXPECT_EQ(a.sync_state().outbox, 3u);
    EXPECT_EQ(seqs(a.outbox(2, 1 << 20)), (std::vector<std::uint64_t>{3, 4}));
    a.acknowledge_pushed(5);
    EXPECT_TRUE(a.outbox(2, 1 << 20).empty());
    EXPECT_EQ(a.sync_state().outbox, 0u);
    EXPECT_TRUE(a.outbox(0, 1 << 20).empty());

    // A new edit lands in the outbox.
    write(1);
    EXPECT_EQ(seqs(a.outbox(2, 1 << 20)), (std::vector<std::uint64_t>{6}));
}

TEST_F(sync_outbox, batches_by_bytes_but_never_leaves_a_large_change_behind) {
    write(4);
    const auto all = a.outbox(100, 1 << 20);
    const std::size_t first_two = all[0].envelope.size() + all[1].envelope.size();
    EXPECT_EQ(seqs(a.outbox(100, first_two)), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(seqs(a.outbox(100, first_two - 1)), (std::vector<std::uint64_t>{1}));
    // The first change goes alone even when it exceeds the bound: it cannot be split.
    EXPECT_EQ(seqs(a.outbox(100, 1)), (std::vector<std::uint64_t>{1}));
}

TEST_F(sync_outbox, acknowledgements_never_go_backwards_nor_past_what_was_written) {
    write(3);
    a.acknowledge_pushed(2);
    a.acknowledge_pushed(1);  // e.g. a second kim process that was slower
    EXPECT_EQ(a.sync_state().pushed_seq, 2u);
    EXPECT_THROW(a.acknowledge_pushed(4), kim::InputError);
    EXPECT_EQ(a.sync_state().pushed_seq, 2u);
}

TEST_F(sync_outbox, the_sync_state_belongs_to_one_server) {
    write(3);
    a.set_server("http://127.0.0.1:8080/");
    EXPECT_EQ(a.sync_state().server, "http://127.0.0.1:8080");
    a.acknowledge_pushed(2);
    a.record_sync_success(1'700'000'000);
    // The same server again (spelt differently): nothing is forgotten.
    a.set_server("HTTP://127.0.0.1:8080");
    EXPECT_EQ(a.sync_state().pushed_seq, 2u);
    EXPECT_EQ(a.sync_state().last_success, 1'700'000'000);

    // Another server has none of it: everything is pushed and pulled anew.
    a.select_sync_server("http://localhost:9090");
    auto s = a.sync_state();
    EXPECT_EQ(s.server, "http://127.0.0.1:8080") << "selecting for one sync does not change the setting";
    EXPECT_EQ(s.state_server, "http://localhost:9090");
    EXPECT_EQ(s.pushed_seq, 0u);
    EXPECT_EQ(s.outbox, 3u);
    EXPECT_EQ(s.last_success, 0);

    a.acknowledge_pushed(3);
    a.reset_sync_state();
    EXPECT_EQ(a.sync_state().pushed_seq, 0u);
    EXPECT_EQ(a.sync_state().state_server, "http://localhost:9090");

    EXPECT_THROW(a.set_server("http://kim.example.org:8080"), kim::InputError);
    EXPECT_EQ(a.sync_state().server, "http://127.0.0.1:8080");

    // The settings survive closing and opening the replica.
    const auto before = a.sync_state();
    Replica again = Replica::open(dir / "a", kim::test::passphrase);
    EXPECT_EQ(again.sync_state().server, before.server);
    EXPECT_EQ(again.sync_state().state_server, before.state_server);
}

TEST_F(sync_outbox, ca_file_must_exist) {
    EXPECT_THROW(a.set_ca_file((dir / "missing.pem").string()), kim::InputError);
    EXPECT_EQ(a.sync_state().ca_file, "");
    const auto pem = dir / "ca.pem";
    {
        std::FILE* f = std::fopen(pem.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("-----BEGIN CERTIFICATE-----\n", f);
        std::fclose(f);
    }
    a.set_ca_file(pem.string());
    EXPECT_EQ(a.sync_state().ca_file, pem.string());
    a.set_ca_file("");
    EXPECT_EQ(a.sync_state().ca_file, "");
}

TEST_F(sync_outbox, the_replica_key_signs_only_its_own_authentication_message) {
    const std::string challenge = kim::base64_encode(kim::crypto::random_key().span());
    const std::string message = kim::protocol::auth_message("hamborn-a", challenge);
    const auto sig = a.sign_auth(message);
    const auto key = kim::base64_decode_fixed<32>(a.status().public_key);
    ASSERT_TRUE(key);
    EXPECT_TRUE(kim::crypto::verify(*key, kim::as_bytes(message), sig));

    write(1);
    const std::string change_bytes = kim::canonical_bytes(kim::change_from_json(json::parse(a.outbox(1, 1 << 20).front().envelope)));
    for (const std::string& other : {change_bytes, kim::protocol::auth_message("hamborn-b", challenge),
                                     kim::protocol::auth_message("hamborn-a", ""),
                                     kim::protocol::auth_message("hamborn-a", challenge + "\n{}"), std::string("hello")}) {
        EXPECT_THROW(a.sign_auth(other), kim::InputError) << other;
    }
}

TEST_F(sync_outbox, the_introduction_is_vouched_for_by_the_site_key) {
    const json intro = a.introduction();
    EXPECT_EQ(intro["replica"], "hamborn-a");
    EXPECT_EQ(intro["public_key"], a.status().public_key);
    // The same introduction a change file carries.
    EXPECT_EQ(intro, a.export_changes()["introductions"][0]);
}

}  // namespace
