// Golden vectors of the change envelope (tests/golden/change_v1.json).
//
// The file fixes an Ed25519 seed, the inputs of three changes (with fixed
// ciphertexts) and the expected canonical bytes, hash, signature and ct
// hashes. Ed25519 is deterministic, so any difference means the wire format
// changed: that needs a new format version and a new file, never an edit of
// this one (DESIGN.md "Wire encoding").
#include <gtest/gtest.h>

#include <sodium.h>

#include <algorithm>
#include <string>

#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/hlc.hpp"
#include "temp_dir.hpp"
#include "sodium_ready.hpp"

namespace {

namespace crypto = kim::crypto;
using kim::Change;
using kim::FieldOp;
using nlohmann::json;

const json& golden() {
    static const json doc = [] {
        const std::string text = kim::test::read_file(std::string(KIM_SOURCE_DIR) + "/tests/golden/change_v1.json");
        if (text.empty()) throw std::runtime_error("tests/golden/change_v1.json is missing");
        return json::parse(text);
    }();
    return doc;
}

const json& vector_named(const std::string& name) {
    for (const auto& v : golden().at("vectors")) {
        if (v.at("name") == name) return v;
    }
    throw std::runtime_error("no golden vector named " + name);
}

kim::Bytes b64(const json& j) {
    auto bytes = kim::base64_decode(j.get<std::string>());
    if (!bytes) throw std::runtime_error("bad base64 in the golden file: " + j.dump());
    return *bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> b64_fixed(const json& j) {
    auto bytes = kim::base64_decode_fixed<N>(j.get<std::string>());
    if (!bytes) throw std::runtime_error("bad base64 in the golden file: " + j.dump());
    return *bytes;
}

kim::Key32 key_from(const json& j) {
    const auto bytes = b64_fixed<32>(j);
    kim::Key32 key;
    std::copy(bytes.begin(), bytes.end(), key.data());
    return key;
}

// The deterministic key pair of the file's seed, straight from libsodium.
crypto::SigningKeyPair golden_key() {
    const auto seed = b64_fixed<crypto_sign_SEEDBYTES>(golden().at("seed"));
    crypto::SigningKeyPair kp;
    if (crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data()) != 0) {
        throw std::runtime_error("crypto_sign_seed_keypair failed");
    }
    return kp;
}

// Builds the change field by field from the vector's inputs (not through the
// parser), with the ops in reverse order so that sealing has to sort them.
Change build(const json& in) {
    Change c;
    c.v = in.at("v").get<int>();
    c.origin = in.at("origin").get<std::string>();
    c.seq = in.at("seq").get<std::uint64_t>();
    c.site = in.at("site").get<std::string>();
    c.record = in.at("record").get<std::string>();
    c.kind = in.at("kind").get<std::string>();
    c.hlc = in.at("hlc").get<std::uint64_t>();
    c.prev = b64_fixed<32>(in.at("prev"));
    for (const auto& o : in.at("ops")) {
        FieldOp op;
        op.field = o.at("field").get<std::string>();
        op.parents = o.at("parents").get<std::vector<std::string>>();
        if (o.contains("value")) op.value = o.at("value");
        if (o.contains("ct")) op.ct = b64(o.at("ct"));
        c.ops.insert(c.ops.begin(), std::move(op));
    }
    return c;
}

// Everything a vector promises, checked against the current code.
void check_vector(const std::string& name) {
    ASSERT_TRUE(kim::test::sodium_ready);
    SCOPED_TRACE("golden vector " + name);
    const json& v = vector_named(name);
    const json& ex = v.at("expected");
    const auto kp = golden_key();

    Change c = build(v.at("change"));
    kim::seal_change(c, kp.secret_key);

    // Canonical bytes, hash and signature: byte for byte.
    EXPECT_EQ(kim::canonical_bytes(c), ex.at("canonical").get<std::string>());
    EXPECT_EQ(kim::base64_encode(kim::change_hash(c)), ex.at("hash").get<std::string>());
    EXPECT_EQ(kim::base64_encode(c.sig), ex.at("sig").get<std::string>());
    EXPECT_TRUE(kim::verify_change_signature(c, kp.public_key));
    EXPECT_TRUE(kim::ciphertexts_match_hashes(c));

    // The hash is BLAKE2b-256 of the canonical bytes, and the signature is
    // over them: recomputed here with libsodium directly.
    const std::string canon = ex.at("canonical").get<std::string>();
    std::array<std::uint8_t, 32> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(canon.data()), canon.size(), nullptr,
                       0);
    EXPECT_EQ(kim::base64_encode(h), ex.at("hash").get<std::string>());
    const auto sig = b64_fixed<crypto_sign_BYTES>(ex.at("sig"));
    EXPECT_EQ(crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(canon.data()),
                                          canon.size(), kp.public_key.data()),
              0);

    // ct hashes: one per confidential op, each BLAKE2b-256 of its ct.
    std::size_t confidential = 0;
    for (const auto& op : c.ops) {
        if (!op.ct) {
            EXPECT_FALSE(op.ct_hash.has_value()) << op.field;
            continue;
        }
        ++confidential;
        ASSERT_TRUE(op.ct_hash.has_value()) << op.field;
        ASSERT_TRUE(ex.at("ct_hashes").contains(op.field)) << op.field;
        EXPECT_EQ(kim::base64_encode(*op.ct_hash), ex.at("ct_hashes").at(op.field).get<std::string>()) << op.field;
    }
    EXPECT_EQ(confidential, ex.at("ct_hashes").size());

    // The wire form, and the canonical bytes derived from it by hand: drop
    // `sig` and every `ct`, dump with sorted keys and no white space.
    const json wire = kim::change_to_json(c);
    EXPECT_EQ(wire, ex.at("wire"));
    json stripped = ex.at("wire");
    stripped.erase("sig");
    for (auto& op : stripped.at("ops")) op.erase("ct");
    EXPECT_EQ(stripped.dump(), canon);

    // Round trips through the strict parser, from the object and from text.
    const Change back = kim::change_from_json(wire);
    EXPECT_EQ(kim::change_to_json(back), wire);
    EXPECT_EQ(kim::canonical_bytes(back), canon);
    EXPECT_TRUE(kim::verify_change_signature(back, kp.public_key));
    const Change from_text = kim::change_from_json(json::parse(ex.at("wire").dump(2)));
    EXPECT_EQ(kim::change_to_json(from_text), wire);

    // Without ciphertexts (a purged log): same hash, still verifies.
    const Change purged = kim::change_from_json(kim::change_to_json(c, /*with_ct=*/false));
    EXPECT_EQ(kim::change_hash(purged), kim::change_hash(c));
    EXPECT_TRUE(kim::verify_change_signature(purged, kp.public_key));

    // Every vector is a valid change for the builtin catalogue.
    EXPECT_NO_THROW(kim::check_change_against_catalogue(kim::Catalogue::builtin(), c));

    // The fixed ciphertexts open with the file's keys and the associated data
    // "origin:seq/record/field": `_key` under the site key, the rest under the case key.
    const auto site_key = key_from(golden().at("site_key"));
    const auto case_key = key_from(golden().at("case_key"));
    for (const auto& op : c.ops) {
        if (!op.ct) continue;
        const std::string ad = kim::field_associated_data(c.origin, c.seq, c.record, op.field);
        if (op.field == kim::field_case_key) {
            const auto plain = crypto::aead_decrypt(site_key, *op.ct, ad);
            ASSERT_TRUE(plain.has_value()) << op.field;
            EXPECT_TRUE(crypto::constant_time_equal(*plain, case_key.span()));
        } else {
            const auto plain = crypto::aead_decrypt(case_key, *op.ct, ad);
            ASSERT_TRUE(plain.has_value()) << op.field;
            EXPECT_EQ(kim::to_string(*plain), v.at("plaintexts").at(op.field).get<std::string>());
        }
    }
}

TEST(golden, file_is_for_format_version_1) {
    EXPECT_EQ(golden().at("format_version"), kim::change_format_version);
    EXPECT_EQ(golden().at("vectors").size(), 3u);
    for (const auto& v : golden().at("vectors")) {
        EXPECT_EQ(v.at("change").at("v"), kim::change_format_version);
        EXPECT_EQ(v.at("change").at("origin"), "hamborn-a");
        EXPECT_EQ(v.at("change").at("site"), "hamborn");
        EXPECT_EQ(v.at("change").at("kind"), "case");
    }
}

TEST(golden, seed_gives_the_rfc8032_test_key) {
    // The seed is RFC 8032 §7.1 TEST 1, so the key and the signature of the
    // empty message are published values: libsodium's Ed25519 is the standard one.
    const auto kp = golden_key();
    EXPECT_EQ(kim::base64_encode(kp.public_key), golden().at("public_key").get<std::string>());
    EXPECT_EQ(kp.public_key, b64_fixed<32>(json("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")));
    const auto sig = crypto::sign(kp.secret_key, kim::Bytes{});
    EXPECT_EQ(kim::base64_encode(sig),
              kim::base64_encode(kim::Bytes{
                  0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a,
                  0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55,
                  0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
                  0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b}));
    EXPECT_EQ(crypto::public_key_of(kp.secret_key), kp.public_key);
}

TEST(golden, first_change) { check_vector("first_change"); }

TEST(golden, edit_with_parents) { check_vector("edit_with_parents"); }

TEST(golden, erased) { check_vector("erased"); }

TEST(golden, first_change_has_zero_prev) {
    const Change c = build(vector_named("first_change").at("change"));
    EXPECT_EQ(c.seq, 1u);
    EXPECT_EQ(c.prev, kim::zero_hash);
}

TEST(golden, vectors_form_a_hash_chain) {
    // Each change names the hash of its origin's previous change as `prev`.
    const auto& vectors = golden().at("vectors");
    kim::Hash32 expected_prev = kim::zero_hash;
    std::uint64_t expected_seq = 1;
    for (const auto& v : vectors) {
        SCOPED_TRACE(v.at("name").get<std::string>());
        const Change c = kim::change_from_json(v.at("expected").at("wire"));
        EXPECT_EQ(c.seq, expected_seq);
        EXPECT_EQ(c.prev, expected_prev);
        expected_prev = kim::change_hash(c);
        ++expected_seq;
    }
}

TEST(golden, edit_pins_bytewise_parent_order) {
    const std::string canon = vector_named("edit_with_parents").at("expected").at("canonical").get<std::string>();
    EXPECT_NE(canon.find(R"("parents":["hamborn-a:1","hamborn-b:10","hamborn-b:9"])"), std::string::npos) << canon;
}

TEST(golden, erased_canonical_bytes_literal) {
    // Spelled out here as well, so that the format cannot change by editing the file alone.
    const Change c = build(vector_named("erased").at("change"));
    EXPECT_EQ(kim::canonical_bytes(c),
              R"({"hlc":115828221542400000,"kind":"case","ops":[{"field":"_erased","parents":[],"value":true}],)"
              R"("origin":"hamborn-a","prev":"hp6c6HHMJ//HAuWQxcV2sW/yIjaJNyu90Cfqy6I1L5g=",)"
              R"("record":"5f2b1c9e-3a47-4d8b-9e21-7c6a0d4f8b13","seq":3,"site":"hamborn","v":1})");
    EXPECT_EQ(c.hlc, kim::hlc_pack(1'767'398'400'000, 0));  // 2026-01-03T00:00:00Z
}

TEST(golden, associated_data_is_origin_seq_record_field) {
    const Change c = build(vector_named("first_change").at("change"));
    const std::string ad = kim::field_associated_data(c.origin, c.seq, c.record, "name");
    EXPECT_EQ(ad, "hamborn-a:1/5f2b1c9e-3a47-4d8b-9e21-7c6a0d4f8b13/name");
    // The golden ciphertext opens with that literal string and with no other.
    const auto case_key = key_from(golden().at("case_key"));
    const FieldOp* name = c.op("name");
    ASSERT_NE(name, nullptr);
    ASSERT_TRUE(name->ct.has_value());
    EXPECT_TRUE(crypto::aead_decrypt(case_key, *name->ct, "hamborn-a:1/5f2b1c9e-3a47-4d8b-9e21-7c6a0d4f8b13/name").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(case_key, *name->ct, "hamborn-a:1/5f2b1c9e-3a47-4d8b-9e21-7c6a0d4f8b13/phone").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(case_key, *name->ct, "hamborn-a:2/5f2b1c9e-3a47-4d8b-9e21-7c6a0d4f8b13/name").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(case_key, *name->ct, "hamborn-a:1:5f2b1c9e-3a47-4d8b-9e21-7c6a0d4f8b13:name").has_value());
}

}  // namespace
