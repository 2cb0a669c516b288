// Push: accepted and duplicate changes, and every refusal reason with its
// own test; a batch is stored whole or not at all. Real keys, real store.
#include "sync/sync_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "error_message.hpp"
#include "server_test_support.hpp"
#include "sync/sync_errors.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace {

using kim::Change;
using kim::protocol::PushStatus;
using kim::protocol::Refusal;
using kim::test::TempDir;
using kim::test::TestReplica;
using nlohmann::json;

class push : public ::testing::Test {
protected:
    void SetUp() override {
        store = kim::test::fresh_store(dir);
        store->add_replica(a.enrolment());
        store->add_replica(b.enrolment());
        store->add_replica(h.enrolment());
        sync = std::make_unique<kim::server::SyncService>(*store, kim::Catalogue::builtin(),
                                                          [] { return kim::test::test_now_millis; });
    }

    kim::server::PushOutcome push_as(const TestReplica& who, const std::vector<Change>& changes) {
        return sync->push(who.caller(), kim::test::push_body(changes));
    }

    // Pushes one change made by `edit` from a's next draft after `before`
    // (stored first), and expects it alone to be refused for `reason`.
    // Returns the refusal's message.
    std::string expect_refused(Refusal reason, const std::function<void(Change&)>& edit, std::size_t before = 0) {
        if (before) {
            const auto stored = push_as(a, a.next_changes(before));
            EXPECT_TRUE(stored.response.stored);
        }
        const Change bad = a.draft(edit);
        const auto outcome = push_as(a, {bad});
        EXPECT_FALSE(outcome.response.stored);
        EXPECT_EQ(outcome.refusals, std::vector<Refusal>{reason});
        if (outcome.response.results.size() != 1) return "WRONG RESULT COUNT";
        const auto& r = outcome.response.results[0];
        EXPECT_EQ(r.status, PushStatus::refused);
        EXPECT_EQ(r.reason, reason) << r.message;
        EXPECT_EQ(r.id, bad.id());
        EXPECT_NE(r.message.find(bad.id()), std::string::npos) << "the message names the change: " << r.message;
        EXPECT_EQ(r.message.find("Erika"), std::string::npos) << "no personal data in messages";
        EXPECT_EQ(store->summary().changes, before);
        return r.message;
    }

    TempDir dir;
    std::unique_ptr<kim::server::Store> store;
    std::unique_ptr<kim::server::SyncService> sync;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica b{"hamborn-b", "hamborn"};
    TestReplica h{"hochfeld-a", "hochfeld"};
};

TEST_F(push, a_batch_is_stored_in_seq_order_whatever_the_order_sent) {
    const auto changes = a.next_changes(3);
    const auto outcome = push_as(a, {changes[2], changes[0], changes[1]});
    ASSERT_TRUE(outcome.response.stored);
    EXPECT_EQ(outcome.accepted, 3u);
    EXPECT_EQ(outcome.duplicates, 0u);
    EXPECT_TRUE(outcome.refusals.empty());
    const auto& results = outcome.response.results;
    ASSERT_EQ(results.size(), 3u);
    // Results follow the request; server seqs follow the chain.
    EXPECT_EQ(results[0].id, "hamborn-a:3");
    EXPECT_EQ(results[0].server_seq, 3u);
    EXPECT_EQ(results[1].id, "hamborn-a:1");
    EXPECT_EQ(results[1].server_seq, 1u);
    for (const auto& r : results) EXPECT_EQ(r.status, PushStatus::accepted);
    EXPECT_EQ(store->summary().changes, 3u);
}

TEST_F(push, a_repeated_push_is_acknowledged_as_duplicates_with_the_same_server_seq) {
    const auto first = a.next_changes(2);
    ASSERT_TRUE(push_as(a, first).response.stored);
    const Change third = a.next_change();
    const auto again = push_as(a, {first[0], first[1], third});
    ASSERT_TRUE(again.response.stored);
    EXPECT_EQ(again.duplicates, 2u);
    EXPECT_EQ(again.accepted, 1u);
    EXPECT_EQ(again.response.results[0].status, PushStatus::duplicate);
    EXPECT_EQ(again.response.results[0].server_seq, 1u);
    EXPECT_EQ(again.response.results[1].server_seq, 2u);
    EXPECT_EQ(again.response.results[2].status, PushStatus::accepted);
    EXPECT_EQ(again.response.results[2].server_seq, 3u);
    EXPECT_EQ(store->summary().changes, 3u) << "a replayed push adds nothing";
}

TEST_F(push, the_same_change_twice_in_one_batch_is_stored_once) {
    const Change c = a.next_change();
    const auto outcome = push_as(a, {c, c});
    ASSERT_TRUE(outcome.response.stored);
    EXPECT_EQ(outcome.response.results[0].status, PushStatus::accepted);
    EXPECT_EQ(outcome.response.results[1].status, PushStatus::duplicate);
    EXPECT_EQ(outcome.response.results[1].server_seq, 1u);
    EXPECT_EQ(store->summary().changes, 1u);
}

TEST_F(push, a_batch_with_one_refused_change_stores_nothing) {
    auto changes = a.next_changes(3);
    changes[1].sig[0] ^= 1;  // its signature no longer verifies
    const auto outcome = push_as(a, changes);
    EXPECT_FALSE(outcome.response.stored);
    EXPECT_EQ(outcome.accepted, 0u);
    const auto& results = outcome.response.results;
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].status, PushStatus::not_stored);
    EXPECT_EQ(results[0].server_seq, 0u);
    EXPECT_EQ(results[1].status, PushStatus::refused);
    EXPECT_EQ(results[1].reason, Refusal::bad_signature);
    EXPECT_EQ(results[2].status, PushStatus::not_stored) << "not reported as a gap behind the refused change";
    EXPECT_EQ(store->summary().changes, 0u);
    EXPECT_TRUE(store->read_site("hamborn", "", 0, 100, 1 << 20).entries.empty());
}

TEST_F(push, every_refused_change_of_a_batch_is_reported) {
    auto changes = a.next_changes(3);
    changes[0].site = "hochfeld";
    changes[2].sig[5] ^= 1;
    const auto outcome = push_as(a, changes);
    EXPECT_EQ(outcome.refusals, (std::vector<Refusal>{Refusal::wrong_site, Refusal::bad_signature}));
    EXPECT_EQ(outcome.response.results[1].status, PushStatus::not_stored);
}

TEST_F(push, refuses_a_malformed_envelope) {
    json body = kim::test::push_body(a.next_changes(1));
    body["changes"].push_back(json{{"origin", "hamborn-a"}, {"seq", 2}, {"surprise", true}});
    body["changes"].push_back(json("not an object"));
    const auto outcome = sync->push(a.caller(), body);
    EXPECT_FALSE(outcome.response.stored);
    const auto& results = outcome.response.results;
    EXPECT_EQ(results[0].status, PushStatus::not_stored);
    EXPECT_EQ(results[1].reason, Refusal::malformed);
    EXPECT_EQ(results[1].id, "hamborn-a:2");
    EXPECT_EQ(results[2].reason, Refusal::malformed);
    EXPECT_EQ(results[2].id, "#2");
    EXPECT_EQ(store->summary().changes, 0u);
}

TEST_F(push, refuses_a_change_of_another_origin) {
    const Change theirs = b.next_change();
    const auto outcome = push_as(a, {theirs});
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::wrong_origin});
    EXPECT_NE(outcome.response.results[0].message.find("hamborn-b"), std::string::npos);
}

TEST_F(push, refuses_a_change_for_another_site) {
    expect_refused(Refusal::wrong_site, [](Change& c) { c.site = "hochfeld"; });
}

TEST_F(push, refuses_equivocation_and_logs_it_without_content) {
    const auto stored = a.next_changes(2);
    ASSERT_TRUE(push_as(a, stored).response.stored);
    // Another change 2, as a copied replica folder would make it.
    TestReplica copy = a;
    Change fork = stored[0];
    copy.advance(fork);
    const Change other_two = copy.draft([](Change& c) { c.ops[1].value = "assessment"; });
    testing::internal::CaptureStderr();
    const auto outcome = push_as(a, {other_two});
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::equivocation});
    EXPECT_NE(outcome.response.results[0].message.find("equivocation"), std::string::npos);
    EXPECT_NE(log.find("equivocation"), std::string::npos) << log;
    EXPECT_NE(log.find("hamborn-a:2"), std::string::npos) << log;
    EXPECT_NE(log.find(kim::base64_encode(kim::change_hash(stored[1]))), std::string::npos) << log;
    EXPECT_EQ(log.find("Erika"), std::string::npos);
    EXPECT_EQ(log.find('\n'), log.size() - 1) << "one line";
    EXPECT_EQ(store->summary().changes, 2u);
}

TEST_F(push, refuses_an_unknown_field) {
    expect_refused(Refusal::unknown_field, [](Change& c) {
        kim::FieldOp op;
        op.field = "favourite_colour";
        op.value = "blue";
        c.ops.push_back(op);
    });
}

TEST_F(push, refuses_an_unknown_kind) {
    expect_refused(Refusal::unknown_field, [](Change& c) { c.kind = "dossier"; });
}

TEST_F(push, refuses_a_statistical_value_outside_its_list) {
    expect_refused(Refusal::bad_value, [](Change& c) { c.ops[1].value = "Erika Mustermann"; });
}

TEST_F(push, refuses_a_confidential_field_sent_in_clear) {
    expect_refused(Refusal::bad_value, [](Change& c) {
        c.ops[0].ct.reset();
        c.ops[0].value = "Erika Mustermann";
    });
}

TEST_F(push, refuses_a_change_without_its_ciphertext) {
    const Change sealed = a.draft();
    Change stripped = sealed;
    stripped.ops[0].ct.reset();  // ct_hash stays, so the signature still verifies
    ASSERT_TRUE(kim::verify_change_signature(stripped, a.public_key()));
    const auto outcome = push_as(a, {stripped});
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::missing_ciphertext});
    EXPECT_NE(outcome.response.results[0].message.find("'name'"), std::string::npos);
    EXPECT_EQ(store->summary().changes, 0u);
}

// A change that marks `record` erased.
Change erasure_of(TestReplica& r, const std::string& record) {
    return r.next_change([&](Change& c) {
        c.record = record;
        kim::FieldOp erased;
        erased.field = "_erased";
        erased.value = true;
        c.ops = {erased};
    });
}

TEST_F(push, accepts_a_change_without_ciphertext_when_the_batch_erases_its_record) {
    // The replica erased the case before pushing: its ciphertexts are shredded.
    Change created = a.next_change();
    created.ops[0].ct.reset();
    const Change erased = erasure_of(a, created.record);
    const auto outcome = push_as(a, {created, erased});
    EXPECT_TRUE(outcome.response.stored) << outcome.response.results[0].message;
    EXPECT_EQ(store->summary().changes, 2u);
}

TEST_F(push, accepts_a_change_without_ciphertext_when_the_log_erases_its_record) {
    const Change created = a.next_change();
    const Change erased = erasure_of(a, created.record);
    ASSERT_TRUE(push_as(a, {created, erased}).response.stored);
    // A concurrent edit of the erased case, pushed later, lost its ciphertext too.
    Change late = a.next_change([&](Change& c) { c.record = created.record; });
    late.ops[0].ct.reset();
    EXPECT_TRUE(push_as(a, {late}).response.stored);
}

TEST_F(push, still_refuses_a_missing_ciphertext_when_another_record_is_erased) {
    Change created = a.next_change();
    created.ops[0].ct.reset();
    const Change other = a.next_change();
    const Change erased = erasure_of(a, other.record);
    const auto outcome = push_as(a, {created, other, erased});
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::missing_ciphertext});
    EXPECT_EQ(store->summary().changes, 0u);
}

TEST_F(push, refuses_a_ciphertext_that_does_not_match_its_signed_hash) {
    Change altered = a.draft();
    altered.ops[0].ct->back() ^= 1;  // after sealing: ct_hash and signature unchanged
    const auto outcome = push_as(a, {altered});
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::ciphertext_mismatch});
    EXPECT_EQ(store->summary().changes, 0u);
}

TEST_F(push, refuses_a_change_signed_with_another_key) {
    TestReplica impostor("hamborn-a", "hamborn");  // same id, its own key
    const auto outcome = push_as(a, {impostor.draft()});
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::bad_signature});
    EXPECT_EQ(store->summary().changes, 0u);
}

TEST_F(push, refuses_a_gap_in_the_origin_s_seq) {
    const Change first = a.next_change();
    (void)first;  // never pushed
    const auto message = expect_refused(Refusal::gap, {});
    EXPECT_NE(message.find("none of its changes is stored"), std::string::npos) << message;
}

TEST_F(push, refuses_a_gap_after_stored_changes) {
    const auto stored = a.next_changes(2);
    ASSERT_TRUE(push_as(a, stored).response.stored);
    a.next_change();  // hamborn-a:3 never pushed
    const Change fourth = a.next_change();
    const auto outcome = push_as(a, {fourth});
    EXPECT_EQ(outcome.refusals, std::vector<Refusal>{Refusal::gap});
    EXPECT_NE(outcome.response.results[0].message.find("hamborn-a:2"), std::string::npos);
}

TEST_F(push, refuses_a_broken_chain) {
    expect_refused(Refusal::broken_chain, [](Change& c) { c.prev[0] ^= 1; }, 2);
}

TEST_F(push, refuses_a_first_change_that_names_a_predecessor) {
    expect_refused(Refusal::broken_chain, [](Change& c) { c.prev[31] = 7; });
}

TEST_F(push, refuses_a_change_dated_too_far_ahead_and_names_the_skew) {
    const auto message = expect_refused(Refusal::clock_skew, [](Change& c) {
        c.hlc = kim::hlc_pack(kim::test::test_now_millis + 25 * 60 * 1000, 0);
    });
    EXPECT_NE(message.find("25 minutes ahead"), std::string::npos) << message;
    EXPECT_NE(message.find("10 minutes"), std::string::npos) << message;
}

TEST_F(push, accepts_a_change_dated_just_within_the_skew) {
    const Change c = a.next_change([](Change& edit) { edit.hlc = kim::hlc_pack(kim::test::test_now_millis + 10 * 60 * 1000, 9); });
    EXPECT_TRUE(push_as(a, {c}).response.stored);
}

TEST_F(push, more_than_the_batch_bound_is_too_large) {
    json body{{"changes", json::array()}};
    for (std::size_t i = 0; i <= kim::protocol::max_push_changes; ++i) body["changes"].push_back(json::object());
    EXPECT_THROW(sync->push(a.caller(), body), kim::server::TooLargeError);
}

TEST_F(push, a_body_that_is_not_a_push_request_is_bad_input) {
    EXPECT_THROW(sync->push(a.caller(), json::array()), kim::InputError);
    EXPECT_THROW(sync->push(a.caller(), json{{"changes", json::array()}, {"extra", 1}}), kim::InputError);
}

TEST_F(push, needs_the_replica_role) {
    const kim::server::Caller coordinator{"duisburg-coordination", kim::protocol::Role::coordinator, ""};
    EXPECT_THROW(sync->push(coordinator, kim::test::push_body({})), kim::PermissionError);
}

TEST_F(push, a_replica_revoked_meanwhile_is_refused) {
    store->revoke_replica("hamborn-a", 1);
    EXPECT_THROW(push_as(a, a.next_changes(1)), kim::AuthError);
}

TEST_F(push, an_introduction_is_stored_with_the_batch) {
    json body = kim::test::push_body(a.next_changes(1));
    body["introduction"] = a.introduction();
    ASSERT_TRUE(sync->push(a.caller(), body).response.stored);
    const auto stored = store->introductions("hamborn");
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(json::parse(stored[0]), body["introduction"]);
}

TEST_F(push, an_introduction_is_not_stored_when_the_batch_is_refused) {
    json body = kim::test::push_body({a.draft([](Change& c) { c.site = "hochfeld"; })});
    body["introduction"] = a.introduction();
    EXPECT_FALSE(sync->push(a.caller(), body).response.stored);
    EXPECT_TRUE(store->introductions("hamborn").empty());
}

TEST_F(push, an_introduction_must_name_the_caller_and_its_enrolled_key) {
    json body = kim::test::push_body({});
    body["introduction"] = b.introduction();  // another replica
    EXPECT_THROW(sync->push(a.caller(), body), kim::InputError);
    TestReplica other_key("hamborn-a", "hamborn");
    body["introduction"] = other_key.introduction();
    EXPECT_THROW(sync->push(a.caller(), body), kim::InputError);
    body["introduction"] = a.introduction();
    body["introduction"]["mac"] = "short";
    EXPECT_THROW(sync->push(a.caller(), body), kim::InputError);
    body["introduction"] = a.introduction();
    body["introduction"]["extra"] = 1;
    EXPECT_THROW(sync->push(a.caller(), body), kim::InputError);
    EXPECT_TRUE(store->introductions("hamborn").empty());
    body["introduction"] = a.introduction();
    EXPECT_TRUE(sync->push(a.caller(), body).response.stored) << "an introduction alone is fine";
    EXPECT_EQ(store->introductions("hamborn").size(), 1u);
}

TEST_F(push, concurrent_pushes_and_pulls_stay_consistent) {
    std::vector<TestReplica> writers;
    for (int i = 0; i < 4; ++i) {
        writers.emplace_back("hamborn-w" + std::to_string(i), "hamborn");
        store->add_replica(writers.back().enrolment());
    }
    constexpr int batches = 10;
    constexpr std::size_t per_batch = 5;
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (auto& w : writers) {
        threads.emplace_back([&, &writer = w] {
            for (int i = 0; i < batches; ++i) {
                if (!sync->push(writer.caller(), kim::test::push_body(writer.next_changes(per_batch))).response.stored) ++failures;
            }
        });
    }
    // A reader pulls all along: each page is a consistent prefix of the log.
    std::thread reader([&] {
        while (!done) {
            const auto page = json::parse(sync->pull(b.caller(), 0, 2000));
            std::map<std::string, std::uint64_t> last;
            for (const auto& e : page["changes"]) {
                const Change c = kim::change_from_json(e);
                if (c.seq != last[c.origin] + 1) ++failures;
                last[c.origin] = c.seq;
            }
        }
    });
    for (auto& t : threads) t.join();
    done = true;
    reader.join();
    EXPECT_EQ(failures, 0);
    const auto all = json::parse(sync->pull(b.caller(), 0, 2000));
    EXPECT_EQ(all["changes"].size(), 4 * batches * per_batch);
    EXPECT_EQ(store->summary().changes, 4 * batches * per_batch);
}

}  // namespace
