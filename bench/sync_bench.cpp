// Push and pull throughput through the real kim-server on loopback, and the
// server's peak memory. Each run: a fresh server (SQLite on disk), a replica
// that writes N realistic case edits offline (not timed), then
//   push: that replica's `sync` (its outbox to the server), timed;
//   pull: a new laptop of the same site bootstraps with `sync`, timed.
// Everything on: TLS aside (loopback), every change is signed, verified by
// the server on push and by the replica on pull, and stored with fsync.
//
// Usage: kim_bench_sync [--changes N] [--runs R] [--dir DIR] [--server PATH]
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "server_process.hpp"
#include "workload.hpp"

namespace {

namespace fs = std::filesystem;
using Options = kim::bench::RunOptions;
using kim::client::Replica;
using namespace kim::bench;
using Clock = std::chrono::steady_clock;

Options parse(int argc, char** argv) {
    return parse_run_options(argc, argv, Options{10'000, 5, "/var/tmp", KIM_SERVER_BINARY}, "sync_bench.cpp");
}

struct RunResult {
    double push_per_s = 0;
    double pull_per_s = 0;
    double server_peak_mib = 0;
};

RunResult run_once(const Options& o, int run) {
    const fs::path dir = o.dir / ("kim-bench-sync-" + std::to_string(::getpid()) + "-" + std::to_string(run));
    fs::remove_all(dir);
    fs::create_directories(dir);
    RunResult result;
    {
        kim::test::ServerProcess server(o.server, dir / "server");
        server.start();
        Replica::create(create_options(dir / "hamborn-a", "hamborn-a"));
        Replica a = Replica::open(dir / "hamborn-a", "benchmark passphrase");
        server.enrol_replica("hamborn-a", "hamborn", Replica::info(dir / "hamborn-a").public_key);
        write_edits(a, o.changes);

        kim::client::SyncOptions sync;
        sync.server = server.url();
        auto t0 = Clock::now();
        const auto pushed = kim::client::sync(a, sync);
        const double push_s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (pushed.pushed != static_cast<std::size_t>(o.changes)) throw std::runtime_error("not every change was pushed");

        auto join = create_options(dir / "hamborn-b", "hamborn-b");
        join.join_bundle = a.export_site_key("benchmark bundle passphrase", kim::KdfParams::minimal());
        join.bundle_passphrase = "benchmark bundle passphrase";
        Replica::create(join);
        Replica b = Replica::open(dir / "hamborn-b", "benchmark passphrase");
        server.enrol_replica("hamborn-b", "hamborn", Replica::info(dir / "hamborn-b").public_key);
        t0 = Clock::now();
        const auto pulled = kim::client::sync(b, sync);
        const double pull_s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (pulled.applied.applied != static_cast<std::size_t>(o.changes) || b.state_digest() != a.state_digest()) {
            throw std::runtime_error("the new replica did not converge");
        }
        result = {o.changes / push_s, o.changes / pull_s, peak_mib(server.pid())};
        server.stop();
    }
    fs::remove_all(dir);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        std::printf("sync through kim-server on loopback: %d case edits per run, %d runs, data in %s\n", o.changes,
                    o.runs, o.dir.c_str());
        std::printf("%-5s %14s %14s %18s\n", "run", "push ch/s", "pull ch/s", "server peak MiB");
        std::vector<double> push, pull, peak;
        for (int r = 1; r <= o.runs; ++r) {
            const RunResult res = run_once(o, r);
            std::printf("%-5d %14.0f %14.0f %18.1f\n", r, res.push_per_s, res.pull_per_s, res.server_peak_mib);
            std::fflush(stdout);
            push.push_back(res.push_per_s);
            pull.push_back(res.pull_per_s);
            peak.push_back(res.server_peak_mib);
        }
        std::printf("%-5s %14.0f %14.0f %18.1f\n", "median", median(push), median(pull), median(peak));
        std::printf("max   %14s %14s %18.1f\n", "", "", *std::max_element(peak.begin(), peak.end()));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kim_bench_sync: %s\n", e.what());
        return 1;
    }
}
