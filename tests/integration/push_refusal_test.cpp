// Every reason the server refuses a pushed change, each with its own test,
// against the real kim-server: the batch is refused whole, nothing of it is
// stored, and the refusal names the change and the rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kim/shared/base64.hpp"
#include "kim/shared/hlc.hpp"
#include "server_fixture.hpp"

namespace {

using kim::Change;
using kim::test::HttpResponse;
using kim::test::ProtocolClient;
using nlohmann::json;

class push_refusal : public kim::test::ServerSuite {
protected:
    // The batch was refused because of change `refused_index` for `reason`;
    // every other change of it is reported as not stored.
    static void expect_refused(const HttpResponse& r, std::size_t refused_index, const std::string& reason) {
        ASSERT_EQ(r.status, 422) << r.body;
        const json body = r.json();
        EXPECT_FALSE(body.at("stored").get<bool>());
        const json& results = body.at("results");
        ASSERT_GT(results.size(), refused_index) << r.body;
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (i == refused_index) {
                EXPECT_EQ(results[i].at("status"), "refused") << r.body;
                EXPECT_EQ(results[i].at("reason"), reason) << r.body;
                EXPECT_FALSE(results[i].at("message").get<std::string>().empty());
            } else {
                EXPECT_EQ(results[i].at("status"), "not_stored") << r.body;
            }
        }
    }

    // What a second replica of the same site receives: proof that nothing was stored.
    static std::size_t visible_to_site(const std::string& site) {
        ProtocolClient peer = enrolled("peer", site);
        return peer.pull_all().size();
    }
};

TEST_F(push_refusal, malformed_envelope) {
    ProtocolClient a = enrolled("hamborn-a", "site-malformed");
    expect_refused(a.push_json(json::array({json{{"origin", a.identity()}, {"seq", 1}}})), 0, "malformed");
}

TEST_F(push_refusal, change_of_another_origin) {
    ProtocolClient a = enrolled("hamborn-a", "site-origin");
    ProtocolClient b = enrolled("hamborn-b", "site-origin");
    Change c = b.next_case_change();
    b.seal_and_advance(c);  // genuinely signed by b, but pushed by a
    expect_refused(a.push({c}), 0, "wrong_origin");
    EXPECT_EQ(visible_to_site("site-origin"), 0u);
}

TEST_F(push_refusal, change_for_another_site) {
    ProtocolClient a = enrolled("hamborn-a", "site-home");
    Change c = a.next_case_change();
    c.site = "site-elsewhere";
    a.seal_and_advance(c);
    expect_refused(a.push({c}), 0, "wrong_site");
    EXPECT_EQ(visible_to_site("site-elsewhere"), 0u);
}

TEST_F(push_refusal, equivocation_same_id_other_content) {
    ProtocolClient a = enrolled("hamborn-a", "site-equivocation");
    Change first = a.next_case_change("intake");
    const kim::Hash32 before = a.tip_hash();
    a.seal_and_advance(first);
    ASSERT_EQ(a.push({first}).status, 200);

    // A second change 1 with other content, correctly chained and signed.
    Change other = first;
    other.ops[1].value = "assessment";
    other.prev = before;
    kim::seal_change(other, a.key().secret_key);
    expect_refused(a.push({other}), 0, "equivocation");
    // The stored change is still the first one.
    ProtocolClient peer = enrolled("peer", "site-equivocation");
    const auto seen = peer.pull_all();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(kim::change_from_json(seen[0]).ops[1].value, "intake");
}

TEST_F(push_refusal, unknown_field) {
    ProtocolClient a = enrolled("hamborn-a", "site-unknown-field");
    Change c = a.next_case_change();
    kim::FieldOp op;
    op.field = "shoe_size";
    op.value = "42";
    c.ops.push_back(op);
    a.seal_and_advance(c);
    expect_refused(a.push({c}), 0, "unknown_field");
}

TEST_F(push_refusal, statistical_value_outside_its_list) {
    ProtocolClient a = enrolled("hamborn-a", "site-bad-value");
    Change c = a.next_case_change("sleeping");
    a.seal_and_advance(c);
    expect_refused(a.push({c}), 0, "bad_value");
}

TEST_F(push_refusal, confidential_field_without_its_ciphertext) {
    ProtocolClient a = enrolled("hamborn-a", "site-missing-ct");
    Change c = a.next_case_change();
    a.seal_and_advance(c);
    expect_refused(a.push_json(json::array({kim::change_to_json(c, /*with_ct=*/false)})), 0, "missing_ciphertext");
}

TEST_F(push_refusal, ciphertext_that_does_not_match_its_hash) {
    ProtocolClient a = enrolled("hamborn-a", "site-ct-mismatch");
    Change c = a.next_case_change();
    a.seal_and_advance(c);
    json j = kim::change_to_json(c);
    for (auto& op : j["ops"]) {
        if (!op.contains("ct")) continue;
        kim::Bytes ct = *kim::base64_decode(op["ct"].get<std::string>());
        ct.back() ^= 0x01;
        op["ct"] = kim::base64_encode(ct);
    }
    expect_refused(a.push_json(json::array({j})), 0, "ciphertext_mismatch");
}

TEST_F(push_refusal, signature_by_another_key) {
    ProtocolClient a = enrolled("hamborn-a", "site-bad-sig");
    Change c = a.next_case_change();
    kim::seal_change(c, kim::crypto::generate_signing_key().secret_key);
    expect_refused(a.push({c}), 0, "bad_signature");
}

TEST_F(push_refusal, tampered_clear_value_breaks_the_signature) {
    ProtocolClient a = enrolled("hamborn-a", "site-tampered");
    Change c = a.next_case_change("intake");
    a.seal_and_advance(c);
    json j = kim::change_to_json(c);
    for (auto& op : j["ops"]) {
        if (op["field"] == "phase") op["value"] = "closed";
    }
    expect_refused(a.push_json(json::array({j})), 0, "bad_signature");
}

TEST_F(push_refusal, gap_in_the_origins_sequence) {
    ProtocolClient a = enrolled("hamborn-a", "site-gap");
    Change first = a.next_case_change();
    a.seal_and_advance(first);
    Change second = a.next_case_change();
    a.seal_and_advance(second);
    expect_refused(a.push({second}), 0, "gap");  // 1 never arrived
    EXPECT_EQ(visible_to_site("site-gap"), 0u);
}

TEST_F(push_refusal, prev_that_is_not_the_previous_change) {
    ProtocolClient a = enrolled("hamborn-a", "site-chain");
    Change first = a.next_case_change();
    a.seal_and_advance(first);
    ASSERT_EQ(a.push({first}).status, 200);
    Change second = a.next_case_change();
    second.prev = kim::crypto::blake2b256(kim::as_bytes("some other history"));
    a.seal_and_advance(second);
    expect_refused(a.push({second}), 0, "broken_chain");
}

TEST_F(push_refusal, clock_too_far_ahead) {
    ProtocolClient a = enrolled("hamborn-a", "site-skew");
    Change c = a.next_case_change();
    c.hlc = kim::hlc_pack(kim::system_millis() + 60 * 60 * 1000, 0);  // one hour ahead
    a.seal_and_advance(c);
    const HttpResponse r = a.push({c});
    expect_refused(r, 0, "clock_skew");
    EXPECT_NE(r.body.find("ahead"), std::string::npos) << r.body;
}

TEST_F(push_refusal, one_bad_change_stores_nothing_of_the_batch) {
    ProtocolClient a = enrolled("hamborn-a", "site-batch");
    std::vector<Change> batch;
    for (int i = 0; i < 5; ++i) {
        batch.push_back(a.next_case_change());
        a.seal_and_advance(batch.back());
    }
    Change bad = a.next_case_change("sleeping");
    a.seal_and_advance(bad);
    batch.push_back(bad);
    expect_refused(a.push(batch), 5, "bad_value");
    EXPECT_EQ(visible_to_site("site-batch"), 0u);

    // Without the bad change, the same five are accepted.
    batch.pop_back();
    const HttpResponse ok = a.push(batch);
    ASSERT_EQ(ok.status, 200) << ok.body;
    const json results = ok.json().at("results");
    for (const auto& r : results) EXPECT_EQ(r.at("status"), "accepted");
    EXPECT_EQ(visible_to_site("site-batch"), 5u);
}

TEST_F(push_refusal, batch_in_any_order_is_sorted_by_seq) {
    ProtocolClient a = enrolled("hamborn-a", "site-order");
    std::vector<Change> batch;
    for (int i = 0; i < 4; ++i) {
        batch.push_back(a.next_case_change());
        a.seal_and_advance(batch.back());
    }
    std::swap(batch[0], batch[3]);
    const HttpResponse r = a.push(batch);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(visible_to_site("site-order"), 4u);
}

TEST_F(push_refusal, replayed_push_is_acknowledged_as_duplicates_not_stored_again) {
    ProtocolClient a = enrolled("hamborn-a", "site-replay");
    std::vector<Change> batch;
    for (int i = 0; i < 3; ++i) {
        batch.push_back(a.next_case_change());
        a.seal_and_advance(batch.back());
    }
    const HttpResponse first = a.push(batch);
    ASSERT_EQ(first.status, 200) << first.body;
    const HttpResponse again = a.push(batch);
    ASSERT_EQ(again.status, 200) << again.body;
    const json r1 = first.json().at("results");
    const json r2 = again.json().at("results");
    ASSERT_EQ(r2.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(r2[i].at("status"), "duplicate");
        EXPECT_EQ(r2[i].at("server_seq"), r1[i].at("server_seq"));
    }
    EXPECT_EQ(visible_to_site("site-replay"), 3u);

    // A replay mixed with new changes: the old ones are duplicates, the new one accepted.
    Change next = a.next_case_change();
    a.seal_and_advance(next);
    batch.push_back(next);
    const json r3 = a.push(batch).json().at("results");
    EXPECT_EQ(r3[3].at("status"), "accepted");
    EXPECT_EQ(visible_to_site("site-replay"), 4u);
}

}  // namespace
