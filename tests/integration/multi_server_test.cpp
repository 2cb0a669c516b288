// Two real kim-server processes on their own loopback ports sharing one
// PostgreSQL database, as behind a load balancer (docs/operations.md):
// replicas push to one and pull from the other, both servers push at once,
// the checkpoints of both describe one log, and the auditor verifies the
// combined log through either. Runs in the PostgreSQL pass only: the SQLite
// store is one server's file.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>
#include <map>

#include "../client/replica_fixture.hpp"
#include "kim/audit/key_file.hpp"
#include "kim/audit/verify_server.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/base64.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"
#include "test_postgres.hpp"

namespace {

using kim::client::Replica;
using kim::client::SyncOptions;
using kim::test::ServerProcess;
using kim::test::TempDir;

class two_servers : public ::testing::Test {
protected:
    void SetUp() override {
        if (!kim::test::on_postgres()) GTEST_SKIP() << "two servers share a store on PostgreSQL only";
        // The second process finds the first one's database through the same folder.
        one_ = std::make_unique<ServerProcess>(KIM_SERVER_BINARY, dir_ / "server");
        two_ = std::make_unique<ServerProcess>(KIM_SERVER_BINARY, dir_ / "server");
        ASSERT_EQ(one_->postgres_uri(), two_->postgres_uri());
        one_->start({"--checkpoint-every", "10"});
        two_->start({"--checkpoint-every", "10"});
        ASSERT_NE(one_->port(), two_->port());
    }

    // Enrolled through the first server, known to both: they share the store.
    Replica make(const std::string& site, const std::string& id) {
        return kim::test::make_enrolled_replica(*one_, dir_ / id, site, id);
    }
    Replica join(Replica& existing, const std::string& id) {
        return kim::test::join_enrolled_replica(*one_, existing, dir_ / id, id);
    }
    static kim::client::SyncReport sync(Replica& r, const ServerProcess& server) {
        SyncOptions options;
        options.server = server.url();
        return kim::client::sync(r, options);
    }
    static void write_cases(Replica& r, int cases) {
        for (int i = 0; i < cases; ++i) {
            const std::string id = r.create_case({{"name", "Synthetische Person " + std::to_string(i)}, {"need.wohnen", "2"}});
            r.set_fields(id, {{"need.arbeit", std::to_string(i % 4)}, {"assessment", "Notiz " + std::to_string(i)}});
        }
    }

    TempDir dir_{"kimsync"};
    std::unique_ptr<ServerProcess> one_, two_;
};

TEST_F(two_servers, a_push_to_one_is_pulled_from_the_other) {
    Replica a = make("hamborn", "hamborn-a");
    Replica b = join(a, "hamborn-b");
    write_cases(a, 3);
    EXPECT_EQ(sync(a, *one_).pushed, 6u);
    sync(b, *two_);
    EXPECT_EQ(b.state_digest(), a.state_digest());
    // And back the other way: b's edit through the second server reaches a through the first.
    write_cases(b, 1);
    sync(b, *two_);
    sync(a, *one_);
    EXPECT_EQ(a.state_digest(), b.state_digest());
}

TEST_F(two_servers, pushes_to_both_at_once_make_one_chain_that_the_auditor_verifies) {
    Replica hamborn = make("hamborn", "hamborn-a");
    Replica hochfeld = make("hochfeld", "hochfeld-a");
    Replica hamborn_b = join(hamborn, "hamborn-b");
    write_cases(hamborn, 20);
    write_cases(hochfeld, 20);
    write_cases(hamborn_b, 20);
    // Three replicas push at the same time, through both servers.
    auto first = std::async(std::launch::async, [&] { return sync(hamborn, *one_).pushed; });
    auto second = std::async(std::launch::async, [&] { return sync(hochfeld, *two_).pushed; });
    auto third = std::async(std::launch::async, [&] { return sync(hamborn_b, *two_).pushed; });
    EXPECT_EQ(first.get() + second.get() + third.get(), 120u);
    sync(hamborn, *two_);
    sync(hamborn_b, *one_);
    EXPECT_EQ(hamborn.state_digest(), hamborn_b.state_digest());

    // Both servers show the same log, and a checkpoint every 10 changes.
    const auto log = kim::test::postgres_rows(one_->postgres_uri(),
                                              "SELECT count(*), max(server_seq), (SELECT count(*) FROM checkpoints) FROM log");
    EXPECT_EQ(log.at(0), (std::vector<std::string>{"120", "120", "12"}));

    // The auditor verifies the combined log through either server.
    const auto key = kim::audit::generate_auditor_key("pruefer");
    one_->admin({"user", "add", "pruefer", "--role", "auditor", "--pubkey", kim::base64_encode(key.public_key)});
    for (const ServerProcess* server : {one_.get(), two_.get()}) {
        kim::audit::VerifyOptions options;
        options.server = server->url();
        const auto report = kim::audit::verify_server(key, options);
        EXPECT_TRUE(report.ok()) << kim::audit::format_report(report);
        EXPECT_EQ(report.changes, 120u);
        EXPECT_GE(report.checkpoints, 12u);
    }
}

// A server killed in the middle of pushes, and the database dropping every
// connection of the other one, as in a failover: syncs fail and are tried
// again, and in the end the log holds every change exactly once, in one
// gap-free chain, and no replica believes the server holds more than it does.
TEST_F(two_servers, a_killed_server_and_dropped_database_connections_lose_and_double_nothing) {
    std::vector<Replica> replicas;
    replicas.reserve(4);
    replicas.push_back(make("hochfeld", "r0"));
    replicas.push_back(make("hamborn", "r1"));
    replicas.push_back(join(replicas[0], "r2"));
    replicas.push_back(join(replicas[1], "r3"));
    const std::string url_one = one_->url();
    const std::string url_two = two_->url();
    const int port_one = one_->port();
    auto sync_at = [](Replica& r, const std::string& url) {
        SyncOptions options;
        options.server = url;
        return kim::client::sync(r, options);
    };
    std::atomic<bool> stop{false};
    // The database ends every session of the store now and then.
    std::thread dropper([&] {
        while (!stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            kim::test::postgres_rows(one_->postgres_uri(),
                                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                     "current_database() AND pid <> pg_backend_pid() AND application_name = 'kim-server'");
        }
    });
    int failed = 0;
    for (int round = 0; round < 6; ++round) {
        for (auto& r : replicas) write_cases(r, 3);
        std::thread killer;
        // SIGKILL in the middle of the round's pushes: its open batch is rolled back by the database.
        if (round == 2) killer = std::thread([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
            one_->kill_hard();
        });
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            try {
                sync_at(replicas[i], i % 2 ? url_two : url_one);
            } catch (const std::exception&) {
                ++failed;  // a 503, a cut connection or no server: the outbox keeps the changes
            }
        }
        if (killer.joinable()) killer.join();
        if (round == 3) one_->start({"--checkpoint-every", "10"}, "127.0.0.1:" + std::to_string(port_one));
    }
    stop = true;
    dropper.join();
    // Quiet now: every replica syncs through both servers until nothing is left.
    for (int pass = 0; pass < 2; ++pass) {
        for (auto& r : replicas) {
            sync_at(r, url_one);
            sync_at(r, url_two);
        }
    }
    const auto per_origin = kim::test::postgres_rows(
        one_->postgres_uri(), "SELECT origin, COUNT(*), COUNT(DISTINCT seq), MAX(seq) FROM log GROUP BY origin ORDER BY origin");
    ASSERT_EQ(per_origin.size(), replicas.size());
    for (const auto& row : per_origin) {
        EXPECT_EQ(row[1], "36") << row[0] << ": 6 rounds of 3 cases, 2 changes each";
        EXPECT_EQ(row[2], "36") << row[0];
        EXPECT_EQ(row[3], "36") << row[0];
    }
    EXPECT_EQ(kim::test::postgres_rows(one_->postgres_uri(), "SELECT count(*), max(server_seq) FROM log").at(0),
              (std::vector<std::string>{"144", "144"}));
    for (auto& r : replicas) {
        EXPECT_EQ(r.sync_state().outbox, 0u);
        EXPECT_EQ(r.sync_state().pushed_seq, 36u);
    }
    EXPECT_EQ(replicas[0].state_digest(), replicas[2].state_digest());
    EXPECT_EQ(replicas[1].state_digest(), replicas[3].state_digest());
    const auto key = kim::audit::generate_auditor_key("pruefer");
    two_->admin({"user", "add", "pruefer", "--role", "auditor", "--pubkey", kim::base64_encode(key.public_key)});
    kim::audit::VerifyOptions options;
    options.server = two_->url();
    const auto report = kim::audit::verify_server(key, options);
    EXPECT_TRUE(report.ok()) << kim::audit::format_report(report);
    EXPECT_EQ(report.changes, 144u);
    // The killed server refused the syncs sent to it while it was down.
    EXPECT_GE(failed, 2);
    RecordProperty("syncs_failed_and_retried", failed);
}

}  // namespace
