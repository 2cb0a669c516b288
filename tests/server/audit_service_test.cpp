// The audit service: auditor role only; the keys (revoked replicas too), the
// log in pages with or without ciphertexts, the checkpoints. Real store,
// real keys; every answer read back through the shared protocol parsers.
#include "audit/audit_service.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "error_message.hpp"
#include "server_test_support.hpp"
#include "sync/sync_service.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::Change;
using kim::protocol::Role;
using kim::server::Caller;
using kim::test::TempDir;
using kim::test::TestReplica;
using nlohmann::json;

class audit_service : public ::testing::Test {
protected:
    void SetUp() override {
        store = kim::test::fresh_store(dir, kim::server::StoreOptions{4});
        store->add_replica(a.enrolment());
        store->add_replica(h.enrolment());
        sync = std::make_unique<kim::server::SyncService>(*store, kim::Catalogue::builtin(),
                                                          [] { return kim::test::test_now_millis; });
        audit = std::make_unique<kim::server::AuditService>(*store);
    }

    void push(TestReplica& who, std::size_t n) {
        const auto changes = who.next_changes(n);
        pushed.insert(pushed.end(), changes.begin(), changes.end());
        ASSERT_TRUE(sync->push(who.caller(), kim::test::push_body(changes)).response.stored);
    }

    kim::protocol::AuditLogPage page(std::uint64_t since, std::size_t limit, bool ct) {
        return kim::protocol::audit_log_page_from_json(json::parse(audit->log(auditor, since, limit, ct)));
    }

    TempDir dir;
    std::unique_ptr<kim::server::Store> store;
    std::unique_ptr<kim::server::SyncService> sync;
    std::unique_ptr<kim::server::AuditService> audit;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica h{"hochfeld-a", "hochfeld"};
    std::vector<Change> pushed;  // in server order
    const Caller auditor{"pruefer", Role::auditor, ""};
};

TEST_F(audit_service, only_the_auditor_role_may_call_it) {
    for (const Caller& who : {a.caller(), Caller{"lagebild", Role::coordinator, ""}}) {
        using kim::test::error_message_of;
        for (const std::string& message :
             {error_message_of<kim::PermissionError>([&] { audit->keys(who); }),
              error_message_of<kim::PermissionError>([&] { audit->log(who, 0, 10, false); }),
              error_message_of<kim::PermissionError>([&] { audit->checkpoints(who); }),
              error_message_of<kim::PermissionError>([&] { audit->checkpoint_now(who); })}) {
            EXPECT_NE(message.find("auditor role"), std::string::npos) << message;
        }
    }
    EXPECT_TRUE(store->checkpoints().empty()) << "a refused request signs nothing";
}

TEST_F(audit_service, keys_name_every_replica_ever_enrolled_and_the_servers_key) {
    TestReplica gone{"hamborn-0", "hamborn"};
    store->add_replica(gone.enrolment());
    store->revoke_replica(gone.id(), 1'767'300'000);
    const auto keys = kim::protocol::audit_keys_from_json(kim::protocol::to_json(audit->keys(auditor)));
    EXPECT_EQ(keys.server_key, kim::base64_encode(store->secrets().public_key));
    ASSERT_EQ(keys.replicas.size(), 3u);
    EXPECT_EQ(keys.replicas[0].id, "hamborn-0");  // by id
    EXPECT_EQ(keys.replicas[0].revoked_at, 1'767'300'000);
    EXPECT_EQ(keys.replicas[0].public_key, kim::base64_encode(gone.public_key()));
    EXPECT_EQ(keys.replicas[1].id, "hamborn-a");
    EXPECT_EQ(keys.replicas[1].site, "hamborn");
    EXPECT_EQ(keys.replicas[1].public_key, kim::base64_encode(a.public_key()));
    EXPECT_EQ(keys.replicas[1].enrolled_at, a.enrolment().enrolled_at);
    EXPECT_FALSE(keys.replicas[1].revoked_at.has_value());
    EXPECT_EQ(keys.replicas[2].id, "hochfeld-a");
    EXPECT_EQ(keys.replicas[2].site, "hochfeld");
}

TEST_F(audit_service, the_log_pages_through_every_site_in_server_order) {
    push(a, 3);
    push(h, 2);
    push(a, 2);
    std::vector<kim::protocol::AuditLogEntry> seen;
    std::uint64_t since = 0;
    int pages = 0;
    for (bool more = true; more; ++pages) {
        const auto p = page(since, 3, false);
        EXPECT_EQ(p.last_seq, 7u);
        for (const auto& e : p.entries) seen.push_back(e);
        ASSERT_EQ(p.next, since + p.entries.size());
        since = p.next;
        more = p.more;
    }
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(seen.size(), pushed.size());
    kim::Hash32 chain{};
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].server_seq, i + 1);
        EXPECT_GT(seen[i].received_at, 1'700'000'000);
        // Without ciphertexts: the envelope as an auditor holds it, which still hashes and verifies.
        EXPECT_EQ(seen[i].change, kim::change_to_json(pushed[i], /*with_ct=*/false));
        const Change c = kim::change_from_json(seen[i].change);
        EXPECT_TRUE(kim::verify_change_signature(c, i < 3 || i > 4 ? a.public_key() : h.public_key()));
        chain = kim::crypto::blake2b256(chain, kim::change_hash(c));
        EXPECT_EQ(seen[i].chain, kim::base64_encode(chain)) << "chain at " << i + 1;
    }
    // Past the end: nothing, the cursor stays, nothing more.
    const auto end = page(7, 10, false);
    EXPECT_TRUE(end.entries.empty());
    EXPECT_EQ(end.next, 7u);
    EXPECT_FALSE(end.more);
    const auto beyond = page(100, 10, false);
    EXPECT_TRUE(beyond.entries.empty());
    EXPECT_EQ(beyond.next, 100u);
    EXPECT_FALSE(beyond.more);
}

TEST_F(audit_service, ciphertexts_only_when_asked_for) {
    push(a, 2);
    const auto with = page(0, 10, true);
    const auto without = page(0, 10, false);
    ASSERT_EQ(with.entries.size(), 2u);
    ASSERT_EQ(without.entries.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(with.entries[i].change, kim::change_to_json(pushed[i], /*with_ct=*/true));
        EXPECT_EQ(without.entries[i].change, kim::change_to_json(pushed[i], /*with_ct=*/false));
        EXPECT_TRUE(with.entries[i].change.at("ops").at(0).contains("ct"));
        EXPECT_FALSE(without.entries[i].change.at("ops").at(0).contains("ct"));
    }
    // The text is what protocol::to_json would write for the same page.
    EXPECT_EQ(audit->log(auditor, 0, 10, true), kim::protocol::to_json(with).dump());
}

TEST_F(audit_service, bad_limits_and_cursors_are_input_errors) {
    EXPECT_THROW(audit->log(auditor, 0, 0, false), kim::InputError);
    EXPECT_THROW(audit->log(auditor, 0, kim::protocol::max_audit_log_limit + 1, false), kim::InputError);
    EXPECT_THROW(audit->log(auditor, std::uint64_t{1} << 63, 10, false), kim::InputError);
    EXPECT_NO_THROW(audit->log(auditor, 0, kim::protocol::max_audit_log_limit, false));
}

TEST_F(audit_service, checkpoints_automatic_and_on_request) {
    push(a, 5);  // interval 4: one at 4
    auto list = audit->checkpoints(auditor).checkpoints;
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].server_seq, 4u);
    const auto now = audit->checkpoint_now(auditor);
    EXPECT_EQ(now.server_seq, 5u);
    EXPECT_TRUE(kim::verify_checkpoint(now, store->secrets().public_key));
    EXPECT_EQ(kim::to_json(audit->checkpoint_now(auditor)), kim::to_json(now));
    list = kim::protocol::checkpoint_list_from_json(kim::protocol::to_json(audit->checkpoints(auditor))).checkpoints;
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(kim::to_json(list[1]), kim::to_json(now));
    const auto last = page(4, 10, false).entries.at(0);
    EXPECT_EQ(last.chain, kim::base64_encode(now.chain));
}

}  // namespace
