// What only the PostgreSQL store has: a database instead of a folder, a
// password that must never show, and several server processes appending to
// one log (each Store object here stands for one kim-server process, with
// its own connections). Runs when the run tests that store (test_postgres.hpp).
#include "store/postgres/postgres_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include <unistd.h>

#include "auth/auth_errors.hpp"
#include "error_message.hpp"
#include "server_test_support.hpp"
#include "store/open_store.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::Change;
using kim::test::TempDir;
using kim::test::TestReplica;

#define KIM_POSTGRES_ONLY()                                                                          \
    do {                                                                                             \
        if (!::kim::test::on_postgres()) GTEST_SKIP() << "runs in the PostgreSQL pass of scripts/test"; \
    } while (0)

void append_all(kim::server::Store& store, const std::vector<Change>& changes) {
    auto tx = store.begin_append();
    for (const auto& c : changes) tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump());
    tx->commit();
}

TEST(postgres_store, locations_are_told_apart_by_their_scheme) {
    EXPECT_TRUE(kim::server::is_postgres_location("postgresql://kim@db.example/kim"));
    EXPECT_TRUE(kim::server::is_postgres_location("postgres://kim@db.example/kim"));
    EXPECT_FALSE(kim::server::is_postgres_location("/srv/kim"));
    EXPECT_FALSE(kim::server::is_postgres_location("postgresql-data"));
    EXPECT_EQ(kim::server::printable_location("postgresql://kim:s3cret@db:5432/kim?sslmode=require"),
              "postgresql://kim:***@db:5432/kim?sslmode=require");
    EXPECT_EQ(kim::server::printable_location("postgresql://kim@db/kim?password=s3cret&sslmode=require"),
              "postgresql://kim@db/kim?password=***&sslmode=require");
    EXPECT_EQ(kim::server::printable_location("/srv/kim"), "/srv/kim");
}

TEST(postgres_store, an_unreachable_database_is_busy_and_the_password_never_shows) {
    // Port 1 on loopback: nothing listens there.
    const auto message = kim::test::error_message_of<kim::server::BusyError>(
        [] { kim::server::open_store("postgresql://kim:s3cret@127.0.0.1:1/kim?connect_timeout=2"); });
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot connect to PostgreSQL at postgresql://kim:***@127.0.0.1:1/kim"), std::string::npos)
        << message;
}

TEST(postgres_store, an_empty_database_is_no_store_and_init_makes_one_once) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    const auto missing = kim::test::error_message_of<kim::NotFoundError>([&] { kim::server::open_store(db); });
    EXPECT_NE(missing.find("kim-server --store URI init"), std::string::npos) << missing;
    kim::server::create_store(db);
    const auto again = kim::test::error_message_of<kim::StateError>([&] { kim::server::create_store(db); });
    EXPECT_NE(again.find("already a server store"), std::string::npos) << again;
    const auto first = kim::server::open_store(db);
    const auto second = kim::server::open_store(db);
    EXPECT_EQ(first->secrets().public_key, second->secrets().public_key);
    EXPECT_TRUE(std::equal(first->secrets().token_secret.span().begin(), first->secrets().token_secret.span().end(),
                           second->secrets().token_secret.span().begin()));
}

TEST(postgres_store, a_database_of_a_newer_schema_is_refused) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    kim::server::create_store(db);
    kim::test::StoreSql(db).exec("INSERT INTO kim_schema_version(version) VALUES (99)");
    const auto message = kim::test::error_message_of<kim::StateError>([&] { kim::server::open_store(db); });
    EXPECT_NE(message.find("update kim-server"), std::string::npos) << message;
}

TEST(postgres_store, once_made_the_store_runs_with_a_role_that_may_only_read_and_write_rows) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    kim::server::create_store(db);
    // A role without CREATE on anything: what an operator gives the servers after `init`.
    const std::string role = "kim_rows_" + std::to_string(::getpid());
    kim::test::StoreSql owner(db);
    owner.exec("DROP ROLE IF EXISTS " + role);
    owner.exec("CREATE ROLE " + role + " LOGIN");
    owner.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
    owner.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    const std::string as_role = db.substr(0, db.find("://") + 3) + role + db.substr(db.find('@'));
    {
        const auto store = kim::server::open_store(as_role);
        TestReplica a("hamborn-a", "hamborn");
        store->add_replica(a.enrolment());
        append_all(*store, a.next_changes(3));
        EXPECT_EQ(store->summary().last_seq, 3u);
    }
    owner.exec("DROP OWNED BY " + role);
    owner.exec("DROP ROLE " + role);
}

TEST(postgres_store, two_servers_appending_at_once_keep_one_gap_free_chain) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    kim::server::create_store(db);
    // Two store objects, each with its own connections: as two kim-server processes.
    const auto one = kim::server::open_store(db, kim::server::StoreOptions{7});
    const auto two = kim::server::open_store(db, kim::server::StoreOptions{7});
    constexpr int batches = 15;
    constexpr int per_batch = 4;
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
        workers.emplace_back([&, t] {
            TestReplica r("replica-" + std::to_string(t), "site-" + std::to_string(t % 2));
            for (int b = 0; b < batches; ++b) append_all(t % 2 ? *one : *two, r.next_changes(per_batch));
        });
    }
    for (auto& w : workers) w.join();
    const std::uint64_t total = 4 * batches * per_batch;
    EXPECT_EQ(one->summary().last_seq, total);
    EXPECT_EQ(two->summary().chain, one->summary().chain);
    // The chain recomputed from the log, in server order, without a gap;
    // every replica's changes in its own order.
    const auto log = one->read_log(0, 1000, 1 << 30);
    ASSERT_EQ(log.rows.size(), total);
    kim::Hash32 chain{};
    std::map<std::string, std::uint64_t> last;
    for (std::size_t i = 0; i < log.rows.size(); ++i) {
        const Change c = kim::change_from_json(nlohmann::json::parse(log.rows[i].envelope));
        EXPECT_EQ(log.rows[i].server_seq, i + 1);
        chain = kim::crypto::blake2b256(chain, kim::change_hash(c));
        EXPECT_EQ(log.rows[i].chain, chain) << "at " << i + 1;
        EXPECT_EQ(c.seq, last[c.origin] + 1);
        last[c.origin] = c.seq;
    }
    // A checkpoint at every multiple of 7, whichever server stored it.
    const auto checkpoints = two->checkpoints();
    ASSERT_EQ(checkpoints.size(), total / 7);
    for (const auto& cp : checkpoints) {
        EXPECT_EQ(cp.server_seq % 7, 0u);
        EXPECT_EQ(cp.chain, log.rows[cp.server_seq - 1].chain);
        EXPECT_TRUE(kim::verify_checkpoint(cp, one->secrets().public_key));
    }
}

TEST(postgres_store, a_batch_waits_for_the_other_server_s_open_batch) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    kim::server::create_store(db);
    const auto one = kim::server::open_store(db);
    const auto two = kim::server::open_store(db);
    TestReplica a("hamborn-a", "hamborn");
    TestReplica b("hochfeld-a", "hochfeld");
    auto open = one->begin_append();
    const Change first = a.next_change();
    EXPECT_EQ(open->append(first, kim::change_hash(first), kim::change_to_json(first).dump()), 1u);
    std::atomic<bool> second_done{false};
    std::thread other([&] {
        append_all(*two, b.next_changes(1));
        second_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(second_done) << "the other server appended while a batch held the writer lock";
    open->commit();
    other.join();
    EXPECT_EQ(two->summary().last_seq, 2u);
    const auto log = two->read_log(0, 10, 1 << 20);
    ASSERT_EQ(log.rows.size(), 2u);
    EXPECT_EQ(kim::change_from_json(nlohmann::json::parse(log.rows[1].envelope)).origin, "hochfeld-a");
}

}  // namespace
