// Real replicas syncing through the real kim-server on a loopback port:
// convergence across sites after offline work, site isolation, and no loss
// or doubling when the server or a client dies in the middle.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../client/replica_fixture.hpp"
#include "kim/client/sync.hpp"
#include "protocol_client.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace {

using kim::client::Replica;
using kim::client::SyncOptions;
using kim::client::SyncReport;
using kim::test::ServerProcess;
using kim::test::TempDir;

class sync_with_server : public ::testing::Test {
protected:
    sync_with_server() : server_(KIM_SERVER_BINARY, dir_ / "server") { server_.start(); }

    void enrol(Replica& r) {
        const auto info = Replica::info(home_of_.at(r.replica_id()));
        server_.enrol_replica(info.replica, info.site, info.public_key);
    }
    Replica make(const std::string& site, const std::string& id) {
        home_of_[id] = dir_ / id;
        Replica r = kim::test::make_replica(dir_ / id, site, id);
        enrol(r);
        return r;
    }
    Replica join(Replica& existing, const std::string& id) {
        home_of_[id] = dir_ / id;
        Replica r = kim::test::join_replica(existing, dir_ / id, id);
        enrol(r);
        return r;
    }
    SyncReport sync(Replica& r, SyncOptions options = {}) {
        options.server = server_.url();
        return kim::client::sync(r, options);
    }
    // Several edits of one new case: a realistic stream of changes.
    static void write_edits(Replica& r, int cases, int edits_per_case) {
        for (int i = 0; i < cases; ++i) {
            const std::string id = r.create_case({{"name", "Synthetische Person " + std::to_string(i)},
                                                  {"birth_date", "1990-01-01"},
                                                  {"address", "Musterstraße 1, 47166 Duisburg"},
                                                  {"need.wohnen", "2"}});
            for (int e = 0; e < edits_per_case; ++e) {
                r.set_fields(id, {{"need.arbeit", std::to_string(e % 4)}, {"assessment", "Notiz " + std::to_string(e)}});
            }
        }
    }

    TempDir dir_{"kimsync"};
    ServerProcess server_;
    std::map<std::string, std::filesystem::path> home_of_;
};

TEST_F(sync_with_server, four_replicas_over_three_sites_converge_after_offline_work) {
    Replica hamborn_a = make("hamborn", "hamborn-a");
    Replica hamborn_b = join(hamborn_a, "hamborn-b");
    Replica hochfeld = make("hochfeld", "hochfeld-a");
    Replica rheinhausen = make("rheinhausen", "rheinhausen-a");

    const std::string shared_case = hamborn_a.create_case({{"name", "Amira Haddad"}, {"need.wohnen", "2"}});
    sync(hamborn_a);
    sync(hamborn_b);
    ASSERT_EQ(kim::test::shown(hamborn_b, shared_case, "name"), "Amira Haddad");

    // Offline: everyone works without syncing; the two Hamborn laptops edit the same case.
    hamborn_a.set_fields(shared_case, {{"phase", "planning"}, {"need.wohnen", "3"}});
    hamborn_b.set_fields(shared_case, {{"phase", "assessment"}, {"need.gesundheit", "1"}});
    const std::string b_case = hamborn_b.create_case({{"name", "Olena Shevchenko"}});
    const std::string hochfeld_case = hochfeld.create_case({{"name", "Mehmet Demir"}, {"need.arbeit", "3"}});
    const std::string rheinhausen_case = rheinhausen.create_case({{"name", "Kofi Mensah"}});
    write_edits(hochfeld, 3, 2);

    // Back online, in an arbitrary order, twice round.
    for (int round = 0; round < 2; ++round) {
        for (Replica* r : {&hamborn_b, &rheinhausen, &hamborn_a, &hochfeld}) {
            const SyncReport report = sync(*r);
            EXPECT_TRUE(report.complete());
            EXPECT_EQ(report.outbox_left, 0u);
        }
    }

    EXPECT_EQ(hamborn_a.state_digest(), hamborn_b.state_digest());
    ASSERT_EQ(hamborn_a.conflicts().size(), 1u);  // phase, written on both
    EXPECT_EQ(hamborn_a.conflicts().size(), hamborn_b.conflicts().size());
    EXPECT_EQ(kim::test::shown(hamborn_a, shared_case, "need.wohnen"), "3");
    EXPECT_EQ(kim::test::shown(hamborn_a, shared_case, "need.gesundheit"), "1");
    EXPECT_EQ(kim::test::shown(hamborn_a, b_case, "name"), "Olena Shevchenko");

    // Site isolation: no replica holds another site's records.
    EXPECT_THROW(hamborn_a.read(hochfeld_case), kim::NotFoundError);
    EXPECT_THROW(hochfeld.read(shared_case), kim::NotFoundError);
    EXPECT_THROW(rheinhausen.read(hochfeld_case), kim::NotFoundError);
    EXPECT_THROW(hochfeld.read(rheinhausen_case), kim::NotFoundError);
    EXPECT_EQ(hochfeld.status().all_changes, hochfeld.status().own_changes);
    EXPECT_EQ(rheinhausen.status().all_changes, rheinhausen.status().own_changes);

    // Resolving on one laptop reaches the other.
    hamborn_b.resolve(shared_case, "phase", "planning");
    sync(hamborn_b);
    sync(hamborn_a);
    EXPECT_TRUE(hamborn_a.conflicts().empty());
    EXPECT_EQ(hamborn_a.state_digest(), hamborn_b.state_digest());
}

TEST_F(sync_with_server, a_page_of_another_origin_forged_by_the_server_is_not_applied) {
    // The server relays introductions but cannot vouch for a key itself: a
    // replica it invents (enrolled, but unknown to the site key) is never
    // applied; it is skipped without blocking the sync (decisions.md 46).
    Replica hamborn_a = make("hamborn", "hamborn-a");
    kim::test::ProtocolClient intruder(server_.port(), "hamborn-x", "hamborn");
    server_.enrol_replica(intruder.identity(), "hamborn", intruder.public_key_base64());
    intruder.authenticate();
    kim::Change c = intruder.next_case_change();
    intruder.seal_and_advance(c);
    ASSERT_EQ(intruder.push({c}).status, 200);

    const SyncReport r = sync(hamborn_a);
    EXPECT_EQ(r.applied.applied, 0u);
    EXPECT_EQ(r.applied.unvouched, 1u);
    EXPECT_EQ(hamborn_a.status().all_changes, 0u);
}

TEST_F(sync_with_server, replaying_a_whole_sync_stores_nothing_twice) {
    Replica a = make("hamborn", "hamborn-a");
    write_edits(a, 5, 3);
    const SyncReport first = sync(a);
    EXPECT_EQ(first.pushed, 20u);
    a.reset_sync_state();  // forget every acknowledgement: push it all again
    const SyncReport again = sync(a);
    EXPECT_EQ(again.pushed, 0u);
    EXPECT_EQ(again.push_duplicates, 20u);
    kim::test::ProtocolClient peer(server_.port(), "hamborn-peer", "hamborn");
    server_.enrol_replica(peer.identity(), "hamborn", peer.public_key_base64());
    peer.authenticate();
    EXPECT_EQ(peer.pull_all().size(), 20u);
}

TEST_F(sync_with_server, server_killed_in_the_middle_of_pushes_loses_and_doubles_nothing) {
    Replica a = make("hamborn", "hamborn-a");
    write_edits(a, 300, 14);  // 4500 changes: three push batches
    const std::uint64_t written = a.status().own_changes;
    const int port = server_.port();
    std::mt19937 rng(20261127);
    int interrupted = 0;
    for (int round = 0; round < 4; ++round) {
        std::atomic<bool> done{false};
        std::thread killer([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 400)(rng)));
            if (!done) server_.kill_hard();
        });
        try {
            sync(a, SyncOptions{.push_batch_changes = 1500});
        } catch (const kim::client::UnreachableError&) {
            ++interrupted;
        }
        done = true;
        killer.join();
        if (!server_.running()) server_.start({}, "127.0.0.1:" + std::to_string(port));
        write_edits(a, 10, 4);  // work goes on between attempts
    }
    const SyncReport last = sync(a);
    EXPECT_TRUE(last.complete());
    EXPECT_EQ(a.sync_state().outbox, 0u);
    EXPECT_GT(interrupted, 0) << "no sync was interrupted: the test proved nothing";

    // The server holds each change exactly once, every one of them.
    const std::uint64_t total = a.status().own_changes;
    EXPECT_EQ(total, written + 4 * 50);
    kim::test::ProtocolClient peer(server_.port(), "hamborn-peer", "hamborn");
    server_.enrol_replica(peer.identity(), "hamborn", peer.public_key_base64());
    peer.authenticate();
    std::set<std::uint64_t> seqs;
    const auto all = peer.pull_all();
    for (const auto& j : all) seqs.insert(j.at("seq").get<std::uint64_t>());
    EXPECT_EQ(all.size(), total);
    EXPECT_EQ(seqs.size(), total);
    EXPECT_EQ(*seqs.rbegin(), total);

    // And a new laptop of the site gets exactly that state.
    Replica b = join(a, "hamborn-b");
    sync(b);
    EXPECT_EQ(b.state_digest(), a.state_digest());
}

TEST_F(sync_with_server, client_killed_in_the_middle_of_a_pull_resumes_from_its_cursor) {
    Replica a = make("hamborn", "hamborn-a");
    write_edits(a, 250, 11);  // 3000 changes
    sync(a);
    const std::uint64_t total = a.status().own_changes;
    Replica b = join(a, "hamborn-b");
    const auto b_home = home_of_.at("hamborn-b");

    // A child process pulls page by page and tells us after each one; it is
    // killed (SIGKILL, no clean-up) after its second page.
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const std::string url = server_.url();
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(pipe_fds[0]);
        try {
            Replica mine = Replica::open(b_home, kim::test::passphrase);
            SyncOptions options;
            options.server = url;
            options.pull_limit = 250;
            options.progress = [&](const kim::client::SyncProgress& p) {
                if (p.phase == kim::client::SyncProgress::Phase::pull) {
                    const char page = 'p';
                    if (write(pipe_fds[1], &page, 1) != 1) _exit(3);
                }
            };
            kim::client::sync(mine, options);
        } catch (...) {
            _exit(2);
        }
        _exit(0);
    }
    close(pipe_fds[1]);
    char page = 0;
    ASSERT_EQ(read(pipe_fds[0], &page, 1), 1);
    ASSERT_EQ(read(pipe_fds[0], &page, 1), 1);
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    close(pipe_fds[0]);

    const auto before = b.sync_state();
    const std::uint64_t held = b.status().all_changes;
    EXPECT_GT(before.pull_cursor, 0u);
    EXPECT_LT(held, total) << "the child finished before it was killed: the test proved nothing";

    const SyncReport resumed = sync(b);
    EXPECT_EQ(resumed.pulled, total - held) << "pulled again from before its cursor";
    EXPECT_EQ(resumed.applied.duplicates, 0u);
    EXPECT_EQ(b.status().all_changes, total);
    EXPECT_EQ(b.state_digest(), a.state_digest());
}

TEST_F(sync_with_server, sync_over_tls_checks_the_servers_certificate) {
    const auto cert = dir_ / "cert.pem";
    const auto key = dir_ / "key.pem";
    const auto made = kim::test::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                              "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                                              "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                              "-keyout", key.string(), "-out", cert.string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    server_.stop();
    server_.start({"--tls-cert", cert.string(), "--tls-key", key.string()});
    const std::string url = "https://localhost:" + std::to_string(server_.port());

    Replica a = make("hamborn", "hamborn-a");
    a.create_case({{"name", "Amira Haddad"}});
    SyncOptions untrusted;
    untrusted.server = url;
    untrusted.ca_file = "";  // the system's CAs only: the self-signed certificate is refused
    EXPECT_THROW(kim::client::sync(a, untrusted), kim::Error);
    EXPECT_EQ(a.sync_state().outbox, 1u);

    SyncOptions trusted;
    trusted.server = url;
    trusted.ca_file = cert.string();
    const SyncReport report = kim::client::sync(a, trusted);
    EXPECT_EQ(report.pushed, 1u);
    EXPECT_EQ(a.sync_state().outbox, 0u);
}

TEST_F(sync_with_server, a_sibling_set_up_without_join_does_not_stop_the_sites_other_replicas) {
    Replica a = make("hamborn", "hamborn-a");
    Replica b = join(a, "hamborn-b");
    // `kim init --site hamborn` without --join: a site key of its own. The
    // server, blind, enrols it and relays its introduction in every page.
    Replica stray = make("hamborn", "hamborn-s");
    const std::string mine = a.create_case({{"name", "Amira Haddad"}});
    stray.create_case({{"name", "Ohne Join"}});
    EXPECT_EQ(sync(stray).pushed, 1u);
    EXPECT_EQ(sync(a).pushed, 1u);

    SyncReport r = sync(b);
    EXPECT_TRUE(r.complete());  // `kim sync` exits 0, with a warning
    EXPECT_EQ(r.pulled, 2u);
    EXPECT_EQ(r.applied.applied, 1u);
    EXPECT_EQ(r.applied.unvouched, 1u);
    ASSERT_EQ(r.applied.warnings.size(), 1u);
    EXPECT_NE(r.applied.warnings[0].find("hamborn-s"), std::string::npos) << r.applied.warnings[0];
    EXPECT_NE(r.applied.warnings[0].find("--join"), std::string::npos) << r.applied.warnings[0];
    EXPECT_GT(b.sync_state().last_success, 0);
    EXPECT_EQ(b.state_digest(), a.state_digest());

    // Both go on writing; b keeps receiving a's changes, and the sync still
    // completes (the warning comes again until the stray is revoked).
    a.set_fields(mine, {{"phase", "assessment"}});
    stray.create_case({{"name", "Noch einmal"}});
    sync(stray);
    sync(a);
    r = sync(b);
    EXPECT_TRUE(r.complete());
    EXPECT_EQ(r.applied.applied, 1u);
    EXPECT_EQ(r.applied.unvouched, 1u);
    EXPECT_EQ(r.applied.warnings.size(), 1u);
    EXPECT_EQ(kim::test::shown(b, mine, "phase"), "assessment");
    EXPECT_EQ(b.state_digest(), a.state_digest());
    // And b's own changes still reach a.
    b.set_fields(mine, {{"need.wohnen", "3"}});
    sync(b);
    r = sync(a);
    EXPECT_TRUE(r.complete());
    EXPECT_EQ(kim::test::shown(a, mine, "need.wohnen"), "3");
}

}  // namespace
