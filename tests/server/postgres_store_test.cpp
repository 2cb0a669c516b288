// What only the PostgreSQL store has: a database instead of a folder, a
// password that must never show, and several server processes appending to
// one log (each Store object here stands for one kim-server process, with
// its own connections). Runs when the run tests that store (test_postgres.hpp).
#include "store/postgres/postgres_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
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

TEST(postgres_store, a_malformed_uri_is_refused_without_echoing_it) {
    const auto message = kim::test::error_message_of<kim::InputError>(
        [] { kim::server::open_store("postgresql://kim:pa%zzss@127.0.0.1:1/kim"); });
    EXPECT_EQ(message.find("pa%zzss"), std::string::npos) << message;
    EXPECT_NE(message.find("postgresql://USER@HOST:PORT/DATABASE"), std::string::npos) << message;
    // libpq's key=value form is not taken for a folder name (and never echoed).
    const auto kv = kim::test::error_message_of<kim::InputError>(
        [] { kim::server::create_store("host=db password=s3cret dbname=kim"); });
    EXPECT_EQ(kv.find("s3cret"), std::string::npos) << kv;
    EXPECT_FALSE(std::filesystem::exists("host=db password=s3cret dbname=kim"));
}

TEST(postgres_store, after_the_database_drops_every_connection_the_store_answers_busy_then_recovers) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    kim::server::create_store(db);
    const auto store = kim::server::open_store(db);
    TestReplica a("hamborn-a", "hamborn");
    append_all(*store, a.next_changes(2));
    // As in a restart or a failover of the database: every session of the store ends.
    kim::test::StoreSql(db).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
        "pg_backend_pid()");
    // A pooled connection that died answers with a retryable BusyError (HTTP 503), never another error,
    // and the store finds a working connection again.
    bool stored = false;
    for (int attempt = 0; attempt < 4 && !stored; ++attempt) {
        TestReplica r("after-" + std::to_string(attempt), "hamborn");
        try {
            append_all(*store, r.next_changes(1));
            stored = true;
        } catch (const kim::server::BusyError& e) {
            EXPECT_EQ(std::string(e.what()).find("127.0.0.1"), std::string::npos) << "the client learns no host: " << e.what();
        }
    }
    EXPECT_TRUE(stored);
    EXPECT_GE(store->summary().last_seq, 3u);
    const auto log = store->read_log(0, 100, 1 << 20);
    EXPECT_EQ(log.rows.size(), log.last_seq);
}

TEST(postgres_store, pages_stop_after_the_byte_bound_in_the_database) {
    KIM_POSTGRES_ONLY();
    const std::string db = kim::test::fresh_postgres_database();
    kim::server::create_store(db);
    const auto store = kim::server::open_store(db);
    TestReplica a("hamborn-a", "hamborn");
    append_all(*store, a.next_changes(10));
    const auto one = store->read_log(0, 100, 1).rows.size();
    EXPECT_EQ(one, 1u) << "one row at least, and no more once the bound is passed";
    const std::size_t size = store->read_log(0, 1, 1 << 20).rows.at(0).envelope.size();
    const auto three = store->read_log(0, 100, 2 * size + 1);
    EXPECT_EQ(three.rows.size(), 3u);
    EXPECT_TRUE(three.more);
    const auto site = store->read_site("hamborn", "nobody", 0, 100, 2 * size + 1);
    EXPECT_EQ(site.entries.size(), 3u);
    EXPECT_TRUE(site.more);
    EXPECT_EQ(site.next, 3u);
    const auto rest = store->read_site("hamborn", "nobody", site.next, 100, 1 << 20);
    EXPECT_EQ(rest.entries.size(), 7u);
    EXPECT_FALSE(rest.more);
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
