// Pull: a site's changes after a cursor, without other sites' or the
// caller's own, paged, with the site's introductions; the body is spliced
// from the stored envelopes and must still be exact JSON.
#include "sync/sync_service.hpp"

#include <gtest/gtest.h>

#include "server_test_support.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::Change;
using kim::test::TempDir;
using kim::test::TestReplica;
using nlohmann::json;

class pull : public ::testing::Test {
protected:
    void SetUp() override {
        store = kim::test::fresh_store(dir);
        for (const auto* r : {&a, &b, &h}) store->add_replica(r->enrolment());
        sync = std::make_unique<kim::server::SyncService>(*store, kim::Catalogue::builtin(),
                                                          [] { return kim::test::test_now_millis; });
    }

    void push_from(TestReplica& who, std::size_t n, bool introduce = false) {
        json body = kim::test::push_body(who.next_changes(n));
        if (introduce) body["introduction"] = who.introduction();
        ASSERT_TRUE(sync->push(who.caller(), body).response.stored);
    }

    kim::protocol::PullResponse pull_as(const TestReplica& who, std::uint64_t since, std::size_t limit = 500) {
        return kim::protocol::pull_response_from_json(json::parse(sync->pull(who.caller(), since, limit)));
    }

    static std::vector<std::string> ids(const kim::protocol::PullResponse& r) {
        std::vector<std::string> out;
        for (const auto& e : r.changes) out.push_back(kim::change_from_json(e).id());
        return out;
    }

    TempDir dir;
    std::unique_ptr<kim::server::Store> store;
    std::unique_ptr<kim::server::SyncService> sync;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica b{"hamborn-b", "hamborn"};
    TestReplica h{"hochfeld-a", "hochfeld"};
};

TEST_F(pull, gives_the_site_s_changes_without_other_sites_or_the_caller_s_own) {
    push_from(a, 2);
    push_from(h, 2);
    push_from(b, 1);
    const auto for_b = pull_as(b, 0);
    EXPECT_EQ(ids(for_b), (std::vector<std::string>{"hamborn-a:1", "hamborn-a:2"}));
    EXPECT_FALSE(for_b.more);
    EXPECT_EQ(for_b.next, 5u);
    const auto for_a = pull_as(a, 0);
    EXPECT_EQ(ids(for_a), std::vector<std::string>{"hamborn-b:1"});
    const auto for_h = pull_as(h, 0);
    EXPECT_TRUE(for_h.changes.empty()) << "only its own changes in its site";
    EXPECT_EQ(for_h.next, 4u);
}

TEST_F(pull, pulled_envelopes_are_exactly_the_signed_changes_with_ciphertexts) {
    const auto pushed = a.next_changes(2);
    ASSERT_TRUE(sync->push(a.caller(), kim::test::push_body(pushed)).response.stored);
    const auto page = pull_as(b, 0);
    ASSERT_EQ(page.changes.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        const Change c = kim::change_from_json(page.changes[i]);
        EXPECT_EQ(kim::change_hash(c), kim::change_hash(pushed[i]));
        EXPECT_TRUE(kim::verify_change_signature(c, a.public_key()));
        EXPECT_EQ(c.ops[0].ct, pushed[i].ops[0].ct);
        EXPECT_TRUE(kim::ciphertexts_match_hashes(c));
    }
}

TEST_F(pull, pages_through_the_log_with_the_cursor) {
    push_from(a, 5);
    auto page = pull_as(b, 0, 2);
    EXPECT_EQ(ids(page), (std::vector<std::string>{"hamborn-a:1", "hamborn-a:2"}));
    EXPECT_TRUE(page.more);
    EXPECT_EQ(page.next, 2u);
    page = pull_as(b, page.next, 2);
    EXPECT_EQ(ids(page), (std::vector<std::string>{"hamborn-a:3", "hamborn-a:4"}));
    page = pull_as(b, page.next, 2);
    EXPECT_EQ(ids(page), std::vector<std::string>{"hamborn-a:5"});
    EXPECT_FALSE(page.more);
    const auto done = pull_as(b, page.next, 2);
    EXPECT_TRUE(done.changes.empty());
    EXPECT_FALSE(done.more);
    EXPECT_EQ(done.next, page.next) << "the cursor stays when nothing is new";
}

TEST_F(pull, includes_the_introductions_of_the_site_only) {
    push_from(a, 1, /*introduce=*/true);
    push_from(h, 1, /*introduce=*/true);
    const auto page = pull_as(b, 0);
    ASSERT_EQ(page.introductions.size(), 1u);
    EXPECT_EQ(page.introductions[0]["replica"], "hamborn-a");
    EXPECT_EQ(page.introductions[0].size(), 3u);
}

TEST_F(pull, an_empty_site_gives_an_empty_page_at_the_cursor) {
    const std::string body = sync->pull(b.caller(), 7, 10);
    EXPECT_EQ(json::parse(body), (json{{"changes", json::array()}, {"introductions", json::array()}, {"next", 7}, {"more", false}}));
}

TEST_F(pull, bounds_its_limit_and_cursor) {
    EXPECT_THROW(sync->pull(b.caller(), 0, 0), kim::InputError);
    EXPECT_THROW(sync->pull(b.caller(), 0, kim::protocol::max_pull_limit + 1), kim::InputError);
    EXPECT_NO_THROW(sync->pull(b.caller(), 0, kim::protocol::max_pull_limit));
    EXPECT_THROW(sync->pull(b.caller(), std::uint64_t{1} << 63, 10), kim::InputError);
}

TEST_F(pull, needs_the_replica_role) {
    const kim::server::Caller auditor{"duisburg-audit", kim::protocol::Role::auditor, ""};
    EXPECT_THROW(sync->pull(auditor, 0, 10), kim::PermissionError);
}

}  // namespace
