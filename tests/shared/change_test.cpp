// The change envelope: canonical bytes, hashing, signing, the strict parser, tampering.
#include "kim/shared/change.hpp"

#include <gtest/gtest.h>

#include "error_message.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "sodium_ready.hpp"

namespace {

namespace crypto = kim::crypto;
using kim::as_bytes;
using kim::Change;
using kim::FieldOp;
using kim::InputError;
using nlohmann::json;

const std::string record_id = "0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f";

const crypto::SigningKeyPair& replica_key() {
    static const crypto::SigningKeyPair kp = crypto::generate_signing_key();
    return kp;
}

const kim::Key32& case_key() {
    static const kim::Key32 k = crypto::random_key();
    return k;
}

// An edit of a case by hamborn-a: a wrapped key, an encrypted name and a clear
// phase, with ops and parents deliberately out of order before sealing.
Change sample_change() {
    Change c;
    c.origin = "hamborn-a";
    c.seq = 3;
    c.site = "hamborn";
    c.record = record_id;
    c.kind = "case";
    c.hlc = kim::hlc_pack(1'767'225'600'000, 2);

    FieldOp phase;
    phase.field = "phase";
    phase.value = "assessment";
    phase.parents = {"hamborn-b:9", "hamborn-a:1", "hamborn-b:9"};

    FieldOp name;
    name.field = "name";
    name.parents = {"hamborn-a:2"};
    name.ct = crypto::aead_encrypt(case_key(), as_bytes("Ayşe Yılmaz"),
                                   kim::field_associated_data(c.origin, c.seq, c.record, "name"));

    FieldOp key;
    key.field = "_key";
    key.ct = kim::Bytes(crypto::aead_nonce_size + 32 + crypto::aead_tag_size, 0x5a);

    c.ops = {phase, name, key};
    c.prev = crypto::blake2b256(as_bytes("the previous change"));
    kim::seal_change(c, replica_key().secret_key);
    return c;
}

json sample_json() { return kim::change_to_json(sample_change()); }

using kim::test::input_error_of;

std::string parse_error(const json& j) {
    return input_error_of([&] { kim::change_from_json(j); });
}

#define EXPECT_PARSE_ERROR_HAS(j, text)                                      \
    do {                                                                     \
        const std::string msg_ = parse_error(j);                             \
        EXPECT_NE(msg_.find(text), std::string::npos) << "message: " << msg_; \
        EXPECT_EQ(msg_.rfind("malformed change", 0), 0u) << "message: " << msg_; \
    } while (0)

bool same_change(const Change& a, const Change& b) {
    return kim::change_to_json(a) == kim::change_to_json(b);
}

// ------------------------------------------------------------ basics ---

TEST(change, id_is_origin_colon_seq) {
    ASSERT_TRUE(kim::test::sodium_ready);
    const Change c = sample_change();
    EXPECT_EQ(c.id(), "hamborn-a:3");
    EXPECT_EQ(c.v, kim::change_format_version);
    EXPECT_EQ(kim::change_format_version, 1);
}

TEST(change, op_finds_by_field) {
    const Change c = sample_change();
    ASSERT_NE(c.op("name"), nullptr);
    EXPECT_TRUE(c.op("name")->confidential());
    ASSERT_NE(c.op("phase"), nullptr);
    EXPECT_FALSE(c.op("phase")->confidential());
    EXPECT_EQ(c.op("phase")->value, json("assessment"));
    EXPECT_EQ(c.op("address"), nullptr);
}

TEST(change, associated_data_is_origin_seq_record_field) {
    EXPECT_EQ(kim::field_associated_data("hamborn-a", 42, record_id, "name"),
              "hamborn-a:42/0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f/name");
    EXPECT_EQ(kim::field_associated_data("x", 1, "r", "need.wohnen"), "x:1/r/need.wohnen");
}

TEST(change, ciphertext_is_bound_to_its_place) {
    const Change c = sample_change();
    const auto& ct = *c.op("name")->ct;
    const auto right = crypto::aead_decrypt(case_key(), ct, kim::field_associated_data("hamborn-a", 3, record_id, "name"));
    ASSERT_TRUE(right.has_value());
    EXPECT_EQ(kim::to_string(*right), "Ayşe Yılmaz");
    // Moved to another field, record or change: it does not open.
    EXPECT_FALSE(crypto::aead_decrypt(case_key(), ct, kim::field_associated_data("hamborn-a", 3, record_id, "phone")).has_value());
    EXPECT_FALSE(crypto::aead_decrypt(case_key(), ct, kim::field_associated_data("hamborn-a", 4, record_id, "name")).has_value());
    EXPECT_FALSE(crypto::aead_decrypt(case_key(), ct, kim::field_associated_data("hamborn-b", 3, record_id, "name")).has_value());
    EXPECT_FALSE(crypto::aead_decrypt(
        case_key(), ct, kim::field_associated_data("hamborn-a", 3, "1a2b3c4d-0000-4000-8000-000000000001", "name")).has_value());
}

// ---------------------------------------------------------- sealing ---

TEST(change, seal_sorts_ops_and_parents_and_fills_ct_hash) {
    const Change c = sample_change();
    ASSERT_EQ(c.ops.size(), 3u);
    EXPECT_EQ(c.ops[0].field, "_key");
    EXPECT_EQ(c.ops[1].field, "name");
    EXPECT_EQ(c.ops[2].field, "phase");
    EXPECT_EQ(c.ops[2].parents, (std::vector<std::string>{"hamborn-a:1", "hamborn-b:9"}));  // sorted, deduplicated
    for (const auto& op : c.ops) {
        if (!op.ct) continue;
        ASSERT_TRUE(op.ct_hash.has_value()) << op.field;
        EXPECT_EQ(*op.ct_hash, crypto::blake2b256(*op.ct)) << op.field;
    }
    EXPECT_FALSE(c.op("phase")->ct_hash.has_value());
}

TEST(change, seal_then_verify_signature) {
    const Change c = sample_change();
    EXPECT_TRUE(kim::verify_change_signature(c, replica_key().public_key));
    EXPECT_TRUE(kim::ciphertexts_match_hashes(c));
    EXPECT_EQ(c.sig, crypto::sign(replica_key().secret_key, as_bytes(kim::canonical_bytes(c))));
}

TEST(change, signature_of_another_replica_fails) {
    const Change c = sample_change();
    const auto other = crypto::generate_signing_key();
    EXPECT_FALSE(kim::verify_change_signature(c, other.public_key));
}

TEST(change, unsigned_change_does_not_verify) {
    Change c = sample_change();
    c.sig = {};
    EXPECT_FALSE(kim::verify_change_signature(c, replica_key().public_key));
}

// -------------------------------------------------- canonical bytes ---

TEST(change, canonical_bytes_exclude_sig_and_ct) {
    const Change c = sample_change();
    const std::string canon = kim::canonical_bytes(c);
    EXPECT_EQ(canon.find("\"sig\""), std::string::npos) << canon;
    EXPECT_EQ(canon.find("\"ct\""), std::string::npos) << canon;
    EXPECT_NE(canon.find("\"ct_hash\""), std::string::npos) << canon;
    EXPECT_EQ(canon.find(kim::base64_encode(*c.op("name")->ct)), std::string::npos);
    EXPECT_NE(canon.find(kim::base64_encode(*c.op("name")->ct_hash)), std::string::npos);
    EXPECT_NE(canon.find(kim::base64_encode(c.prev)), std::string::npos);

    Change other = c;
    other.sig[0] ^= 0xff;
    other.ops[1].ct->at(30) ^= 0xff;
    other.ops[0].ct.reset();
    EXPECT_EQ(kim::canonical_bytes(other), canon);
}

TEST(change, canonical_bytes_are_sorted_compact_json) {
    const Change c = sample_change();
    const std::string canon = kim::canonical_bytes(c);
    EXPECT_EQ(canon.find_first_of(" \n\r\t"), std::string::npos) << canon;
    EXPECT_EQ(canon.rfind("{\"hlc\":", 0), 0u) << canon;  // "hlc" sorts first
    EXPECT_EQ(canon.find("\"hlc\":" + std::to_string(c.hlc) + ","), 1u) << canon;
    EXPECT_NE(canon.find("\"seq\":3,"), std::string::npos) << canon;
    EXPECT_NE(canon.find("\"v\":1}"), std::string::npos) << canon;  // "v" sorts last
    const std::vector<std::string> order = {"\"hlc\"", "\"kind\"", "\"ops\"", "\"origin\"", "\"prev\"",
                                            "\"record\"", "\"seq\"", "\"site\"", "\"v\""};
    std::size_t last = 0;
    for (const auto& key : order) {
        const auto at = canon.find(key + ":");
        ASSERT_NE(at, std::string::npos) << key;
        EXPECT_GE(at, last) << key;
        last = at;
    }
    // Inside an op: ct_hash < field < parents < value.
    EXPECT_NE(canon.find("{\"ct_hash\":\""), std::string::npos) << canon;
    EXPECT_NE(canon.find("{\"field\":\"phase\",\"parents\":[\"hamborn-a:1\",\"hamborn-b:9\"],\"value\":\"assessment\"}"),
              std::string::npos)
        << canon;
    // It is what a sorting JSON serialiser in any language would produce.
    EXPECT_EQ(json::parse(canon).dump(), canon);
}

TEST(change, canonical_bytes_do_not_depend_on_input_key_order) {
    const Change c = sample_change();
    const json j = kim::change_to_json(c);
    // The same change written with keys in reverse order and with white space.
    std::string text = "{\n";
    const std::vector<std::string> keys = {"v", "sig", "site", "seq", "record", "prev", "origin", "ops", "kind", "hlc"};
    for (std::size_t i = 0; i < keys.size(); ++i) {
        text += "  \"" + keys[i] + "\" : " + j.at(keys[i]).dump(2) + (i + 1 < keys.size() ? ",\n" : "\n");
    }
    text += "}";
    const Change back = kim::change_from_json(json::parse(text));
    EXPECT_EQ(kim::canonical_bytes(back), kim::canonical_bytes(c));
    EXPECT_TRUE(kim::verify_change_signature(back, replica_key().public_key));
}

TEST(change, hash_is_blake2b_of_canonical_bytes) {
    const Change c = sample_change();
    EXPECT_EQ(kim::change_hash(c), crypto::blake2b256(as_bytes(kim::canonical_bytes(c))));
    Change purged = c;
    for (auto& op : purged.ops) op.ct.reset();
    purged.sig = {};
    EXPECT_EQ(kim::change_hash(purged), kim::change_hash(c));
    Change later = c;
    later.hlc += 1;
    EXPECT_NE(kim::change_hash(later), kim::change_hash(c));
}

TEST(change, zero_hash_is_32_zero_bytes) {
    EXPECT_EQ(kim::zero_hash.size(), 32u);
    for (const auto b : kim::zero_hash) EXPECT_EQ(b, 0);
    EXPECT_EQ(kim::base64_encode(kim::zero_hash), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

// ------------------------------------------------------- JSON form ---

TEST(change, json_round_trip) {
    const Change c = sample_change();
    const json j = kim::change_to_json(c);
    const Change back = kim::change_from_json(json::parse(j.dump()));
    EXPECT_TRUE(same_change(back, c));
    EXPECT_EQ(back.id(), c.id());
    EXPECT_EQ(back.hlc, c.hlc);
    EXPECT_EQ(back.prev, c.prev);
    EXPECT_EQ(back.sig, c.sig);
    ASSERT_EQ(back.ops.size(), c.ops.size());
    for (std::size_t i = 0; i < c.ops.size(); ++i) {
        EXPECT_EQ(back.ops[i].field, c.ops[i].field);
        EXPECT_EQ(back.ops[i].parents, c.ops[i].parents);
        EXPECT_EQ(back.ops[i].value, c.ops[i].value);
        EXPECT_EQ(back.ops[i].ct, c.ops[i].ct);
        EXPECT_EQ(back.ops[i].ct_hash, c.ops[i].ct_hash);
    }
    EXPECT_TRUE(kim::verify_change_signature(back, replica_key().public_key));
    EXPECT_TRUE(kim::ciphertexts_match_hashes(back));
}

TEST(change, json_without_ct_keeps_hash_and_signature) {
    const Change c = sample_change();
    const json j = kim::change_to_json(c, /*with_ct=*/false);
    for (const auto& op : j.at("ops")) EXPECT_FALSE(op.contains("ct")) << op.dump();
    EXPECT_TRUE(j.contains("sig"));
    const Change purged = kim::change_from_json(j);
    EXPECT_FALSE(purged.op("name")->ct.has_value());
    EXPECT_TRUE(purged.op("name")->ct_hash.has_value());
    EXPECT_TRUE(kim::verify_change_signature(purged, replica_key().public_key));
    EXPECT_TRUE(kim::ciphertexts_match_hashes(purged));
    EXPECT_EQ(kim::change_hash(purged), kim::change_hash(c));
}

TEST(change, json_uses_integers_and_padded_base64) {
    const json j = sample_json();
    EXPECT_TRUE(j.at("seq").is_number_integer());
    EXPECT_TRUE(j.at("hlc").is_number_integer());
    EXPECT_TRUE(j.at("v").is_number_integer());
    EXPECT_EQ(j.at("prev").get<std::string>().size(), 44u);
    EXPECT_EQ(j.at("prev").get<std::string>().back(), '=');
    EXPECT_EQ(j.at("sig").get<std::string>().size(), 88u);
    EXPECT_EQ(j.at("sig").get<std::string>().substr(86), "==");
}

TEST(change, large_seq_and_hlc_round_trip_exactly) {
    Change c = sample_change();
    c.seq = (std::uint64_t{1} << 53) + 1;  // not representable as a double
    c.hlc = kim::hlc_pack(kim::hlc_max_millis, 0xfffe);
    kim::seal_change(c, replica_key().secret_key);
    const Change back = kim::change_from_json(json::parse(kim::change_to_json(c).dump()));
    EXPECT_EQ(back.seq, c.seq);
    EXPECT_EQ(back.hlc, c.hlc);
    EXPECT_TRUE(kim::verify_change_signature(back, replica_key().public_key));
}

// --------------------------------------------------- strict parser ---

TEST(change, parser_refuses_non_objects) {
    EXPECT_PARSE_ERROR_HAS(json::array(), "must be a JSON object");
    EXPECT_PARSE_ERROR_HAS(json("change"), "must be a JSON object");
    EXPECT_PARSE_ERROR_HAS(json(nullptr), "must be a JSON object");
}

TEST(change, parser_refuses_unknown_key) {
    json j = sample_json();
    j["comment"] = "hello";
    EXPECT_PARSE_ERROR_HAS(j, "unknown key 'comment'");
    EXPECT_PARSE_ERROR_HAS(j, "envelope");
    json k = sample_json();
    k["ops"][1]["plaintext"] = "Ayşe";
    EXPECT_PARSE_ERROR_HAS(k, "unknown key 'plaintext'");
    EXPECT_PARSE_ERROR_HAS(k, "change hamborn-a:3, op 1");
}

TEST(change, parser_refuses_missing_keys) {
    for (const char* key : {"v", "origin", "seq", "site", "record", "kind", "hlc", "ops", "prev", "sig"}) {
        json j = sample_json();
        j.erase(key);
        SCOPED_TRACE(key);
        EXPECT_PARSE_ERROR_HAS(j, std::string("missing '") + key + "'");
    }
    for (const char* key : {"field", "parents"}) {
        json j = sample_json();
        j["ops"][2].erase(key);
        SCOPED_TRACE(key);
        EXPECT_PARSE_ERROR_HAS(j, std::string("missing '") + key + "'");
        EXPECT_PARSE_ERROR_HAS(j, "op 2");
    }
}

TEST(change, parser_refuses_wrong_types) {
    const std::vector<std::pair<const char*, json>> cases = {
        {"v", "1"},        {"origin", 7},          {"seq", "3"},       {"seq", true},
        {"site", nullptr}, {"record", json::array()}, {"kind", 1},     {"hlc", "123"},
        {"ops", json::object()}, {"ops", "[]"},    {"prev", 0},        {"sig", json::array()},
    };
    for (const auto& [key, value] : cases) {
        json j = sample_json();
        j[key] = value;
        SCOPED_TRACE(std::string(key) + " = " + value.dump());
        EXPECT_PARSE_ERROR_HAS(j, std::string("'") + key + "'");
    }
}

TEST(change, parser_refuses_wrong_op_types) {
    json j = sample_json();
    j["ops"][0] = "an op";
    EXPECT_PARSE_ERROR_HAS(j, "an op must be an object");
    json field_number = sample_json();
    field_number["ops"][2]["field"] = 5;
    EXPECT_PARSE_ERROR_HAS(field_number, "'field' must be a string");
    json field_empty = sample_json();
    field_empty["ops"][0]["field"] = "";
    EXPECT_PARSE_ERROR_HAS(field_empty, "'field' is empty");
    json parents_string = sample_json();
    parents_string["ops"][2]["parents"] = "hamborn-a:1";
    EXPECT_PARSE_ERROR_HAS(parents_string, "'parents' must be an array");
    for (const json& v : {json(3), json(nullptr), json::object(), json::array(), json(1.5), json(std::string(129, 'x'))}) {
        json bad_value = sample_json();
        bad_value["ops"][2]["value"] = v;
        SCOPED_TRACE(v.dump());
        EXPECT_PARSE_ERROR_HAS(bad_value, "'value' must be a short string or a boolean");
    }
    json ct_hash_number = sample_json();
    ct_hash_number["ops"][1]["ct_hash"] = 1;
    EXPECT_PARSE_ERROR_HAS(ct_hash_number, "'ct_hash' must be a string");
}

TEST(change, parser_refuses_float_negative_and_zero_seq) {
    json f = sample_json();
    f["seq"] = 3.0;
    EXPECT_PARSE_ERROR_HAS(f, "'seq' must be a non-negative integer");
    EXPECT_THROW(kim::change_from_json(json::parse(R"({"v":1,"origin":"a","seq":1.0})")), InputError);
    EXPECT_THROW(kim::change_from_json(json::parse(R"({"v":1,"origin":"a","seq":1e0})")), InputError);
    json n = sample_json();
    n["seq"] = -3;
    EXPECT_PARSE_ERROR_HAS(n, "'seq' must be a non-negative integer");
    json z = sample_json();
    z["seq"] = 0;
    EXPECT_PARSE_ERROR_HAS(z, "'seq' starts at 1");
    json h = sample_json();
    h["hlc"] = -1;
    EXPECT_PARSE_ERROR_HAS(h, "'hlc' must be a non-negative integer");
    json hf = sample_json();
    hf["hlc"] = 1.5;
    EXPECT_PARSE_ERROR_HAS(hf, "'hlc' must be a non-negative integer");
}

TEST(change, parser_refuses_other_format_versions) {
    json j = sample_json();
    j["v"] = 2;
    EXPECT_PARSE_ERROR_HAS(j, "version 2");
    EXPECT_PARSE_ERROR_HAS(j, "not supported");
    j["v"] = 0;
    EXPECT_PARSE_ERROR_HAS(j, "version 0");
    j["v"] = 1.0;
    EXPECT_PARSE_ERROR_HAS(j, "'v' must be a non-negative integer");
}

TEST(change, parser_refuses_bad_names_and_ids) {
    json origin = sample_json();
    origin["origin"] = "Hamborn-A";
    EXPECT_PARSE_ERROR_HAS(origin, "'origin' is not a valid replica name");
    json colon = sample_json();
    colon["origin"] = "hamborn:a";
    EXPECT_PARSE_ERROR_HAS(colon, "'origin'");
    json site = sample_json();
    site["site"] = "ham born";
    EXPECT_PARSE_ERROR_HAS(site, "'site' is not a valid site name");
    json upper = sample_json();
    upper["record"] = "0B6F3C1E-9A2D-4F5E-8C7B-1A2B3C4D5E6F";
    EXPECT_PARSE_ERROR_HAS(upper, "'record' must be a lowercase UUID");
    json short_record = sample_json();
    short_record["record"] = "0b6f3c1e";
    EXPECT_PARSE_ERROR_HAS(short_record, "'record'");
    json long_name = sample_json();
    long_name["origin"] = std::string(64, 'a');
    EXPECT_PARSE_ERROR_HAS(long_name, "'origin' is too long");
}

TEST(change, parser_error_names_the_change) {
    json j = sample_json();
    j["record"] = "nope";
    EXPECT_PARSE_ERROR_HAS(j, "change hamborn-a:3");
    json op = sample_json();
    op["ops"][2]["value"] = 42;
    EXPECT_PARSE_ERROR_HAS(op, "(change hamborn-a:3, op 2)");
}

TEST(change, parser_refuses_unsorted_or_duplicate_ops) {
    json unsorted = sample_json();
    std::swap(unsorted["ops"][0], unsorted["ops"][2]);
    EXPECT_PARSE_ERROR_HAS(unsorted, "'ops' must be sorted by field");
    json duplicate = sample_json();
    duplicate["ops"][1] = duplicate["ops"][2];
    EXPECT_PARSE_ERROR_HAS(duplicate, "each field once");
    json empty = sample_json();
    empty["ops"] = json::array();
    EXPECT_PARSE_ERROR_HAS(empty, "'ops' must be a non-empty array");
}

TEST(change, parser_refuses_too_many_ops_or_parents) {
    json many = sample_json();
    json ops = json::array();
    for (std::size_t i = 0; i <= kim::max_ops_per_change; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "f%04zu", i);
        ops.push_back({{"field", name}, {"parents", json::array()}, {"value", "x"}});
    }
    many["ops"] = ops;
    EXPECT_PARSE_ERROR_HAS(many, "too many ops");
    json parents = sample_json();
    json list = json::array();
    for (std::size_t i = 1; i <= kim::max_parents_per_op + 1; ++i) list.push_back("hamborn-b:" + std::to_string(i));
    std::vector<std::string> sorted = list.get<std::vector<std::string>>();
    std::sort(sorted.begin(), sorted.end());
    parents["ops"][2]["parents"] = sorted;
    EXPECT_PARSE_ERROR_HAS(parents, "too many parents");
}

TEST(change, parser_refuses_unsorted_or_duplicate_parents) {
    json unsorted = sample_json();
    unsorted["ops"][2]["parents"] = {"hamborn-b:9", "hamborn-a:1"};
    EXPECT_PARSE_ERROR_HAS(unsorted, "'parents' must be sorted and free of duplicates");
    json duplicate = sample_json();
    duplicate["ops"][2]["parents"] = {"hamborn-a:1", "hamborn-a:1"};
    EXPECT_PARSE_ERROR_HAS(duplicate, "'parents' must be sorted and free of duplicates");
    // Sorted means bytewise string order, as seal_change produces it.
    json textual = sample_json();
    textual["ops"][2]["parents"] = {"hamborn-b:10", "hamborn-b:9"};
    EXPECT_NO_THROW(kim::change_from_json(textual));
}

TEST(change, parser_refuses_bad_change_ids_in_parents) {
    for (const json& p : {json("hamborn-a:0"), json("hamborn-a:01"), json("Hamborn-a:1"), json("hamborn-a"),
                          json(":1"), json("hamborn-a:-1"), json(5), json(nullptr)}) {
        json j = sample_json();
        j["ops"][2]["parents"] = json::array({p});
        SCOPED_TRACE(p.dump());
        EXPECT_PARSE_ERROR_HAS(j, "'parents' must hold change ids");
    }
}

TEST(change, parser_refuses_value_and_ct_hash_together_or_neither) {
    json both = sample_json();
    both["ops"][1]["value"] = "x";
    EXPECT_PARSE_ERROR_HAS(both, "either 'value' or 'ct_hash'");
    json neither = sample_json();
    neither["ops"][2].erase("value");
    EXPECT_PARSE_ERROR_HAS(neither, "either 'value' or 'ct_hash'");
    json ct_only = sample_json();
    ct_only["ops"][1].erase("ct_hash");
    EXPECT_PARSE_ERROR_HAS(ct_only, "either 'value' or 'ct_hash'");
}

TEST(change, parser_refuses_ct_without_ct_hash) {
    json j = sample_json();
    j["ops"][2]["ct"] = j["ops"][1]["ct"];  // a clear op carrying a ciphertext
    EXPECT_PARSE_ERROR_HAS(j, "'ct' without 'ct_hash'");
}

TEST(change, parser_refuses_bad_base64) {
    for (const char* key : {"prev", "sig"}) {
        json j = sample_json();
        j[key] = "not base64 at all";
        SCOPED_TRACE(key);
        EXPECT_PARSE_ERROR_HAS(j, std::string("'") + key + "' must be base64");
    }
    json no_padding = sample_json();
    std::string prev = no_padding["prev"];
    prev.pop_back();
    no_padding["prev"] = prev;
    EXPECT_PARSE_ERROR_HAS(no_padding, "'prev' must be base64 of 32 bytes");
    json url_safe = sample_json();
    url_safe["prev"] = std::string(42, '_') + "A=";
    EXPECT_PARSE_ERROR_HAS(url_safe, "'prev'");
    json ct_hash = sample_json();
    ct_hash["ops"][1]["ct_hash"] = "!!!!";
    EXPECT_PARSE_ERROR_HAS(ct_hash, "'ct_hash' must be base64");
    json ct = sample_json();
    ct["ops"][1]["ct"] = "%%%%";
    EXPECT_PARSE_ERROR_HAS(ct, "'ct' must be base64");
}

TEST(change, parser_refuses_non_canonical_base64) {
    // 32 zero bytes are "AAA...A=" (43 letters); a 'B' before '=' sets a stray bit.
    json j = sample_json();
    j["prev"] = std::string(43, 'A') + "=";
    EXPECT_NO_THROW(kim::change_from_json(j));
    j["prev"] = std::string(42, 'A') + "B=";
    EXPECT_PARSE_ERROR_HAS(j, "'prev' must be base64 of 32 bytes");
    json sig = sample_json();
    std::string s = sig["sig"];
    ASSERT_EQ(s.substr(86), "==");
    // The last letter of a two-'=' group carries 4 stray bits; set one.
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto idx = alphabet.find(s[85]);
    ASSERT_EQ(idx % 16, 0u);
    s[85] = alphabet[idx + 1];
    sig["sig"] = s;
    EXPECT_PARSE_ERROR_HAS(sig, "'sig' must be base64 of 64 bytes");
}

TEST(change, parser_refuses_wrong_sizes) {
    json prev = sample_json();
    prev["prev"] = kim::base64_encode(kim::Bytes(31, 1));
    EXPECT_PARSE_ERROR_HAS(prev, "'prev' must be base64 of 32 bytes");
    json prev33 = sample_json();
    prev33["prev"] = kim::base64_encode(kim::Bytes(33, 1));
    EXPECT_PARSE_ERROR_HAS(prev33, "'prev' must be base64 of 32 bytes");
    json sig = sample_json();
    sig["sig"] = kim::base64_encode(kim::Bytes(63, 1));
    EXPECT_PARSE_ERROR_HAS(sig, "'sig' must be base64 of 64 bytes");
    json ct_hash = sample_json();
    ct_hash["ops"][1]["ct_hash"] = kim::base64_encode(kim::Bytes(64, 1));
    EXPECT_PARSE_ERROR_HAS(ct_hash, "'ct_hash' must be base64 of 32 bytes");
    json ct_short = sample_json();
    ct_short["ops"][1]["ct"] = kim::base64_encode(kim::Bytes(crypto::aead_nonce_size + crypto::aead_tag_size - 1, 1));
    EXPECT_PARSE_ERROR_HAS(ct_short, "'ct' is too short");
    json ct_huge = sample_json();
    ct_huge["ops"][1]["ct"] = kim::base64_encode(kim::Bytes(kim::max_ciphertext_bytes + 3, 1));
    EXPECT_PARSE_ERROR_HAS(ct_huge, "'ct' is too long");
    json ct_over = sample_json();
    ct_over["ops"][1]["ct"] = kim::base64_encode(kim::Bytes(kim::max_ciphertext_bytes + 1, 1));
    EXPECT_PARSE_ERROR_HAS(ct_over, "'ct' is too long");
    json ct_max = sample_json();
    ct_max["ops"][1]["ct"] = kim::base64_encode(kim::Bytes(kim::max_ciphertext_bytes, 1));
    EXPECT_NO_THROW(kim::change_from_json(ct_max));
}

TEST(change, invalid_utf8_yields_an_exception_never_a_crash) {
    const std::string good = sample_json().dump();
    const auto at = good.find("assessment");
    ASSERT_NE(at, std::string::npos);
    for (const std::string& bytes : {std::string("\xff"), std::string("\xc3"), std::string("\xed\xa0\x80"),
                                     std::string("\xc0\xaf")}) {
        std::string bad = good;
        bad.replace(at, 1, bytes);
        EXPECT_THROW(
            {
                const json parsed = json::parse(bad);
                (void)parsed;
            },
            json::parse_error);
    }
    // A document built in memory (not parsed) with a bad string: refused somewhere
    // on the way to canonical bytes, by an exception.
    json j = sample_json();
    j["ops"][2]["value"] = "\xff\xfe";
    EXPECT_ANY_THROW({
        const Change c = kim::change_from_json(j);
        (void)kim::canonical_bytes(c);
    });
}

TEST(change, parser_survives_mutated_documents) {
    // Every one-character mutation of a sealed change: the parser either refuses
    // it with an InputError or accepts it, and then the signature fails unless
    // the canonical bytes are untouched (a mutation of `ct` or `sig`).
    const Change c = sample_change();
    const std::string canon = kim::canonical_bytes(c);
    const std::string text = kim::change_to_json(c).dump();
    std::size_t parsed = 0;
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (const char ch : {'0', '9', '"', 'x', 'A', '-', '.', '[', '{', '}', ':', ',', ' ', '/', '='}) {
            if (text[i] == ch) continue;
            std::string bad = text;
            bad[i] = ch;
            const json j = json::parse(bad, nullptr, /*allow_exceptions=*/false);
            if (j.is_discarded()) continue;
            ++parsed;
            try {
                const Change t = kim::change_from_json(j);
                ++accepted;
                if (kim::canonical_bytes(t) != canon) {
                    EXPECT_FALSE(kim::verify_change_signature(t, replica_key().public_key)) << bad;
                }
            } catch (const InputError&) {
                // refused: fine
            } catch (const std::exception& e) {
                ADD_FAILURE() << "unexpected exception " << e.what() << " for " << bad;
            }
        }
    }
    EXPECT_GT(parsed, 100u);
    EXPECT_GT(accepted, 10u);
}

// ----------------------------------------------------------- tamper ---

TEST(change, flipped_ct_byte_breaks_ciphertexts_match_hashes) {
    Change c = sample_change();
    ASSERT_TRUE(kim::ciphertexts_match_hashes(c));
    for (std::size_t i : {std::size_t{0}, std::size_t{24}, c.ops[1].ct->size() - 1}) {
        Change t = c;
        t.ops[1].ct->at(i) ^= 0x01;
        EXPECT_FALSE(kim::ciphertexts_match_hashes(t)) << i;
        // ct is not signed: the signature still verifies, the hash is what catches it.
        EXPECT_TRUE(kim::verify_change_signature(t, replica_key().public_key));
    }
}

TEST(change, replaced_ct_is_detected_by_its_hash) {
    Change c = sample_change();
    Change t = c;
    t.ops[1].ct = crypto::aead_encrypt(case_key(), as_bytes("Max Mustermann"),
                                       kim::field_associated_data(c.origin, c.seq, c.record, "name"));
    EXPECT_TRUE(kim::verify_change_signature(t, replica_key().public_key));
    EXPECT_FALSE(kim::ciphertexts_match_hashes(t));
    // Swapping the ciphertexts of two ops is caught as well.
    Change s = c;
    std::swap(s.ops[0].ct, s.ops[1].ct);
    EXPECT_FALSE(kim::ciphertexts_match_hashes(s));
}

TEST(change, purged_ct_still_verifies) {
    Change c = sample_change();
    for (auto& op : c.ops) op.ct.reset();
    EXPECT_TRUE(kim::ciphertexts_match_hashes(c));
    EXPECT_TRUE(kim::verify_change_signature(c, replica_key().public_key));
}

TEST(change, ct_without_hash_does_not_match) {
    Change c = sample_change();
    c.ops[1].ct_hash.reset();
    EXPECT_FALSE(kim::ciphertexts_match_hashes(c));
}

TEST(change, any_signed_field_change_breaks_the_signature) {
    const Change c = sample_change();
    const auto& pk = replica_key().public_key;
    ASSERT_TRUE(kim::verify_change_signature(c, pk));
    std::vector<std::pair<std::string, std::function<void(Change&)>>> edits = {
        {"v", [](Change& x) { x.v = 2; }},
        {"origin", [](Change& x) { x.origin = "hamborn-b"; }},
        {"seq", [](Change& x) { x.seq += 1; }},
        {"site", [](Change& x) { x.site = "hochfeld"; }},
        {"record", [](Change& x) { x.record = "1a2b3c4d-0000-4000-8000-000000000001"; }},
        {"kind", [](Change& x) { x.kind = "goal"; }},
        {"hlc", [](Change& x) { x.hlc += 1; }},
        {"prev", [](Change& x) { x.prev[31] ^= 0x01; }},
        {"op field", [](Change& x) { x.ops[2].field = "sex"; }},
        {"op value", [](Change& x) { x.ops[2].value = "closed"; }},
        {"op parents added", [](Change& x) { x.ops[2].parents.push_back("hamborn-c:1"); }},
        {"op parents removed", [](Change& x) { x.ops[2].parents.pop_back(); }},
        {"op parent renamed", [](Change& x) { x.ops[1].parents[0] = "hamborn-a:4"; }},
        {"ct_hash", [](Change& x) { (*x.ops[1].ct_hash)[0] ^= 0x01; }},
        {"op dropped", [](Change& x) { x.ops.pop_back(); }},
        {"op added", [](Change& x) {
             FieldOp o;
             o.field = "sex";
             o.value = "female";
             x.ops.push_back(o);
         }},
        {"value to ct_hash", [](Change& x) {
             x.ops[2].value.reset();
             x.ops[2].ct_hash = kim::Hash32{};
         }},
    };
    for (const auto& [what, edit] : edits) {
        Change t = c;
        edit(t);
        EXPECT_FALSE(kim::verify_change_signature(t, pk)) << what;
        EXPECT_NE(kim::change_hash(t), kim::change_hash(c)) << what;
    }
}

TEST(change, tampered_wire_json_fails_verification) {
    const Change c = sample_change();
    std::string text = kim::change_to_json(c).dump();
    const auto at = text.find("\"assessment\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 12, "\"evaluation\"");
    const Change t = kim::change_from_json(json::parse(text));
    EXPECT_FALSE(kim::verify_change_signature(t, replica_key().public_key));
}

TEST(change, flipped_signature_byte_fails) {
    const Change c = sample_change();
    for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
        Change t = c;
        t.sig[i] ^= 0x04;
        EXPECT_FALSE(kim::verify_change_signature(t, replica_key().public_key)) << i;
    }
}

}  // namespace
