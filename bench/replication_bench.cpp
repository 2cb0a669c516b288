// kimsync's replication on the same synthetic case records as PouchDB's
// (bench/pouchdb/replicate.mjs), the floor of the machine, and the table of
// docs/performance.md (issue 7). For each size (the records' count and a
// tenth of it, for memory that must stay flat):
//   source (not timed): replica A of site hamborn writes the first half of
//     the records as new cases (all their fields in one change each) and the
//     second half as edits of those cases (all fields again);
//   then, per run, with a fresh kim-server (SQLite on disk) and a copy of A:
//   push: the real `kim sync` of A, timed from start to exit;
//   pull: a new laptop B of the same site bootstraps with `kim sync`;
//   incremental: A edits 1,000 cases (not timed); `kim sync` of A, then of B;
//   one edit: A's sync of one small edit, in process, 21 times.
// Every change is signed, verified by the server on push and by the replica
// on pull, and stored with fsync; B's state digest must equal A's.
//
//   kim_bench_replication --records FILE [--runs 3] [--dir DIR] [--pouchdb RESULT.json] [--doc FILE]
//                         [--server PATH] [--kim PATH] [--keep yes]
// --pouchdb: replicate.mjs's output, for the side-by-side table; --doc: the
// file whose replication section is rewritten with the table; --keep yes: the
// runs' folders stay (replicas, server store and log), for profiling.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "floor.hpp"
#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/protocol.hpp"
#include "replication_report.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "workload.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using Clock = std::chrono::steady_clock;
using namespace kim::bench;

constexpr int incremental_edits = 1000;
constexpr int single_edit_samples = 21;
constexpr const char* bundle_passphrase = "benchmark bundle passphrase";

struct Options {
    fs::path records;
    int runs = 3;
    fs::path dir = "/var/tmp";
    fs::path pouchdb;
    fs::path doc;
    fs::path server = KIM_SERVER_BINARY;
    fs::path kim = KIM_CLI_BINARY;
    bool keep = false;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        const std::string v = argv[++i];
        if (a == "--records") o.records = v;
        else if (a == "--runs") o.runs = std::stoi(v);
        else if (a == "--dir") o.dir = v;
        else if (a == "--pouchdb") o.pouchdb = v;
        else if (a == "--doc") o.doc = v;
        else if (a == "--server") o.server = v;
        else if (a == "--kim") o.kim = v;
        else if (a == "--keep") o.keep = v == "yes";
        else throw std::invalid_argument("unknown option " + a + " (see the head of bench/replication_bench.cpp)");
    }
    if (o.records.empty()) throw std::invalid_argument("--records FILE is needed (write one with kim_bench_records)");
    if (o.runs < 1) throw std::invalid_argument("--runs must be at least 1");
    return o;
}

std::vector<kim::client::FieldInputs> read_records(const fs::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file.string() + ": write it with kim_bench_records");
    std::vector<kim::client::FieldInputs> records;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto record = nlohmann::json::parse(line);
        kim::client::FieldInputs fields;
        for (const auto& [name, value] : record.at("fields").items()) fields.emplace_back(name, value.get<std::string>());
        records.push_back(std::move(fields));
    }
    if (records.size() < 100) {
        throw std::runtime_error(file.string() + " holds " + std::to_string(records.size()) +
                                 " records; at least 100 are needed (the benchmark's own size is 100,000)");
    }
    return records;
}

// Replica A with `count` changes in its outbox, the ids of its cases and the
// bundle that lets another laptop join its site.
struct Source {
    fs::path home;
    std::size_t changes = 0;
    std::vector<std::string> cases;
    nlohmann::json bundle;

    // The k-th case, from the first again when there are fewer (small trial runs).
    const std::string& case_for(int k) const { return cases.at(static_cast<std::size_t>(k) % cases.size()); }
};

Source write_source(const fs::path& home, const std::vector<kim::client::FieldInputs>& records, std::size_t count) {
    Source s{home, count, {}, {}};
    Replica::create(create_options(home, "hamborn-a"));
    Replica a = Replica::open(home, bench_passphrase);
    const std::size_t new_cases = (count + 1) / 2;
    for (std::size_t i = 0; i < new_cases; i += 1000) {
        std::vector<kim::client::NewCase> batch;
        for (std::size_t j = i; j < std::min(new_cases, i + 1000); ++j) {
            batch.push_back({"record " + std::to_string(j + 1), records[j], {}});
        }
        const auto ids = a.create_cases(batch);
        s.cases.insert(s.cases.end(), ids.begin(), ids.end());
    }
    for (std::size_t i = new_cases; i < count; ++i) a.set_fields(s.cases[i - new_cases], records[i]);
    s.bundle = a.export_site_key(bundle_passphrase, kim::KdfParams::minimal());
    return s;
}

struct Timed {
    double seconds = 0;
    double peak_mib = 0;
    double cpu_seconds = 0;         // kim's user + system time
    double system_seconds = 0;      // of which in the kernel (writes, fsync, network)
    double server_cpu_seconds = 0;  // kim-server's, over the same sync
};

// `kim sync` of the replica in `home`, as its user runs it, under GNU time:
// a child's ru_maxrss counts what it held when forked, before exec, so kim
// is started by the small `time` process and not by this one, and `time`
// reports kim's own peak.
Timed timed_sync(const Options& o, const fs::path& home, const kim::test::ServerProcess& server) {
    const fs::path usage_file = home.parent_path() / "kim-usage.txt";
    const double server_cpu_before = cpu_seconds(server.pid());
    const auto t0 = Clock::now();
    const auto r = kim::test::run_process({"/usr/bin/time", "--format=%M %U %S", "--output=" + usage_file.string(),
                                           o.kim.string(), "sync", "--quiet", "--server", server.url()},
                                          {{"KIM_HOME", home.string()}, {"KIM_PASSPHRASE", bench_passphrase}});
    Timed t;
    t.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    t.server_cpu_seconds = cpu_seconds(server.pid()) - server_cpu_before;
    if (r.exit_code != 0) throw std::runtime_error("kim sync in " + home.string() + " failed: " + r.err);
    std::ifstream in(usage_file);
    double kib = 0, user = 0, system = 0;
    if (!(in >> kib >> user >> system) || kib <= 0) {
        throw std::runtime_error("GNU time gave no peak memory for kim sync in " + home.string());
    }
    t.peak_mib = kib / 1024.0;
    t.cpu_seconds = user + system;
    t.system_seconds = system;
    return t;
}

void expect_converged(const fs::path& a_home, const fs::path& b_home, const std::string& when) {
    Replica a = Replica::open(a_home, bench_passphrase);
    Replica b = Replica::open(b_home, bench_passphrase);
    if (a.sync_state().outbox != 0) throw std::runtime_error(when + ": A's outbox is not empty");
    if (a.state_digest() != b.state_digest()) throw std::runtime_error(when + ": B's state differs from A's");
}

// The server's own time for the pushes it logged after `from`, from its request log
// ("POST /v1/push 200 1.2 ms"): the answer to a push without the sign-in and
// the pull around it in a sync.
std::vector<double> push_times_after(const std::string& log, std::size_t from) {
    const std::string marker = std::string("POST ") + std::string(kim::protocol::path_push) + " 200 ";
    std::vector<double> times;
    std::size_t at = from;
    while ((at = log.find(marker, at)) != std::string::npos) {
        at += marker.size();
        times.push_back(std::stod(log.substr(at, log.find(' ', at) - at)));
    }
    return times;
}

KimRun run_once(const Options& o, const Source& source, int run) {
    const fs::path dir = o.dir / ("kim-bench-replication-" + std::to_string(::getpid()) + "-" + std::to_string(run));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path a_home = dir / "hamborn-a", b_home = dir / "hamborn-b";
    fs::copy(source.home, a_home, fs::copy_options::recursive);
    KimRun result;
    {
        kim::test::ServerProcess server(o.server, dir / "server");
        server.start();
        server.enrol_replica("hamborn-a", "hamborn", Replica::info(a_home).public_key);
        const Timed push = timed_sync(o, a_home, server);

        auto join = create_options(b_home, "hamborn-b");
        join.join_bundle = source.bundle;
        join.bundle_passphrase = bundle_passphrase;
        Replica::create(join);
        server.enrol_replica("hamborn-b", "hamborn", Replica::info(b_home).public_key);
        const Timed pull = timed_sync(o, b_home, server);
        expect_converged(a_home, b_home, "after the bootstrap");

        {
            Replica a = Replica::open(a_home, bench_passphrase);
            for (int k = 0; k < incremental_edits; ++k) a.set_fields(source.case_for(k), {{"phase", "monitoring"}});
        }
        const Timed inc_push = timed_sync(o, a_home, server);
        const Timed inc_pull = timed_sync(o, b_home, server);
        expect_converged(a_home, b_home, "after the incremental sync");

        std::vector<double> one_edit;
        const std::size_t log_before = server.log().size();
        {
            Replica a = Replica::open(a_home, bench_passphrase);
            kim::client::SyncOptions sync;
            sync.server = server.url();
            for (int k = 0; k < single_edit_samples; ++k) {
                a.set_fields(source.case_for(k), {{"need.arbeit", std::to_string(k % 4)}});
                const auto t0 = Clock::now();
                if (kim::client::sync(a, sync).pushed != 1) throw std::runtime_error("one edit was not pushed");
                one_edit.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
        }
        result.push_per_s = static_cast<double>(source.changes) / push.seconds;
        result.pull_per_s = static_cast<double>(source.changes) / pull.seconds;
        result.incremental_s = inc_push.seconds + inc_pull.seconds;
        result.one_edit_ms = median(one_edit);
        const auto pushes = push_times_after(server.log(), log_before);
        if (pushes.size() != one_edit.size()) {
            throw std::runtime_error("the server logged " + std::to_string(pushes.size()) + " pushes for " +
                                     std::to_string(one_edit.size()) + " syncs of one edit each");
        }
        result.one_push_server_ms = median(pushes);
        result.client_peak_mib = std::max({push.peak_mib, pull.peak_mib, inc_push.peak_mib, inc_pull.peak_mib});
        std::fprintf(stderr, "  run %d: client peaks (MiB): push %.1f, pull %.1f, incremental %.1f and %.1f\n", run,
                     push.peak_mib, pull.peak_mib, inc_push.peak_mib, inc_pull.peak_mib);
        // Where a rate's time goes: the wall time against the CPU of each side.
        for (const auto& [phase, t] : {std::pair{"push", push}, {"pull", pull}, {"incremental push", inc_push}, {"incremental pull", inc_pull}}) {
            std::fprintf(stderr, "  run %d: %s: %.2f s, kim %.2f s CPU (%.2f s in the kernel), kim-server %.2f s CPU\n", run,
                         phase, t.seconds, t.cpu_seconds, t.system_seconds, t.server_cpu_seconds);
        }
        result.server_peak_mib = peak_mib(server.pid());
        if (result.server_peak_mib <= 0) throw std::runtime_error("cannot read kim-server's peak memory from /proc");
        server.stop();
    }
    if (!o.keep) fs::remove_all(dir);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        kim::crypto::init();
        Report report;
        const auto records = read_records(o.records);
        report.records = records.size();
        // Read first: a result for another file is refused before the long runs.
        if (!o.pouchdb.empty()) {
            report.pouchdb = read_pouchdb_result(o.pouchdb);
            if (report.pouchdb->records != report.records) {
                throw std::runtime_error("PouchDB's result " + o.pouchdb.string() + " is for " +
                                         std::to_string(report.pouchdb->records) + " records, this run for " +
                                         std::to_string(report.records) + ": run both on the same file");
            }
        }
        for (const std::size_t size : {report.records / 10, report.records}) {
            const fs::path home = o.dir / ("kim-bench-replication-source-" + std::to_string(::getpid()));
            fs::remove_all(home);
            std::fprintf(stderr, "kimsync, %zu changes: writing the source replica (not timed)\n", size);
            const Source source = write_source(home, records, size);
            KimSize& figures = report.kimsync.emplace_back();
            figures.changes = size;
            for (int r = 1; r <= o.runs; ++r) {
                const KimRun run = run_once(o, source, r);
                std::fprintf(stderr,
                             "  run %d: push %.0f/s, pull %.0f/s, incremental %.3f s, one edit %.2f ms (push %.2f ms), "
                             "client %.1f MiB, server %.1f MiB\n",
                             r, run.push_per_s, run.pull_per_s, run.incremental_s, run.one_edit_ms, run.one_push_server_ms,
                             run.client_peak_mib, run.server_peak_mib);
                figures.runs.push_back(run);
            }
            fs::remove_all(home);
        }
        std::fprintf(stderr, "floor: SQLite inserts and Ed25519 verifications of the same records\n");
        report.floor = measure_floor(records, o.dir, o.runs);
        report.machine = describe_machine(report.pouchdb);
        const std::string table = format_report(report);
        std::cout << table;
        if (!o.doc.empty()) write_report_section(o.doc, table);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kim_bench_replication: %s\n", e.what());
        return 1;
    }
}
