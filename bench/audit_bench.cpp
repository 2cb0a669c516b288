// The auditor's verification speed over a large log: a real kim-server
// (SQLite on disk) holding N changes pushed by a replica (not timed), then
// the real `kim-audit verify` run R times from scratch (every signature,
// chain, ciphertext hash and checkpoint), timed as a whole process with its
// peak memory, and once more incrementally after 1,000 further changes.
//
// Usage: kim_bench_audit [--changes N] [--runs R] [--dir DIR] [--server PATH]
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "workload.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Options = kim::bench::RunOptions;
using kim::client::Replica;
using namespace kim::bench;
using Clock = std::chrono::steady_clock;

Options parse(int argc, char** argv) {
    return parse_run_options(argc, argv, Options{100'000, 3, "/var/tmp", KIM_SERVER_BINARY}, "audit_bench.cpp");
}

struct Timed {
    double seconds = 0;
    double peak_mib = 0;
    nlohmann::json report;
};

// Runs kim-audit with its output in a file; wall time and peak memory (ru_maxrss).
Timed run_audit(const std::vector<std::string>& args, const fs::path& out_file) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const auto t0 = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
        throw std::runtime_error("cannot start " + args[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    rusage usage{};
    if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("lost the kim-audit process");
    Timed t;
    t.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    t.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
    std::ifstream in(out_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("kim-audit verify failed on a clean log: " + text.substr(0, 2000));
    }
    t.report = nlohmann::json::parse(text);
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        const fs::path dir = o.dir / ("kim-bench-audit-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        std::printf("kim-audit verify over a log of %d changes on kim-server (loopback), %d runs, data in %s\n",
                    o.changes, o.runs, dir.c_str());
        kim::test::ServerProcess server(o.server, dir / "server");
        server.start();
        // The writing replica on tmpfs where there is one: its fsyncs are not what is measured.
        const fs::path writer = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") / dir.filename() : dir / "writer";
        fs::remove_all(writer);
        Replica::create(create_options(writer, "hamborn-a"));
        Replica a = Replica::open(writer, bench_passphrase);
        server.enrol_replica("hamborn-a", "hamborn", Replica::info(writer).public_key);
        std::printf("writing and pushing the log (not timed)...\n");
        std::fflush(stdout);
        write_edits(a, o.changes);
        kim::client::SyncOptions sync;
        sync.server = server.url();
        kim::client::sync(a, sync);

        const fs::path key = dir / "auditor.key";
        const auto keygen = kim::test::run_process({KIM_AUDIT_BINARY, "keygen", "--out", key.string(), "--name", "pruefer"});
        if (keygen.exit_code != 0) throw std::runtime_error("kim-audit keygen failed: " + keygen.err);
        std::ifstream key_in(key);
        const auto key_json = nlohmann::json::parse(key_in);
        server.admin({"user", "add", "pruefer", "--role", "auditor", "--pubkey", key_json.at("public_key").get<std::string>()});
        const std::vector<std::string> base{KIM_AUDIT_BINARY, "--server", server.url(), "--key", key.string(), "verify",
                                            "--json"};

        std::printf("%-6s %12s %14s %14s\n", "run", "seconds", "changes/s", "peak MiB");
        std::vector<double> rates, peaks;
        for (int r = 1; r <= o.runs; ++r) {
            const Timed t = run_audit(base, dir / "report.json");
            const double changes = t.report.at("changes").get<double>();
            if (changes < o.changes) throw std::runtime_error("kim-audit verified fewer changes than were pushed");
            rates.push_back(changes / t.seconds);
            peaks.push_back(t.peak_mib);
            std::printf("%-6d %12.2f %14.0f %14.1f\n", r, t.seconds, rates.back(), t.peak_mib);
            std::fflush(stdout);
        }
        std::printf("%-6s %12s %14.0f %14.1f\n", "median", "", median(rates), median(peaks));

        // Incremental: a state file from a full run, 1,000 more changes, the next run.
        std::vector<std::string> with_state = base;
        with_state.push_back("--state");
        with_state.push_back((dir / "audit.state").string());
        run_audit(with_state, dir / "report.json");
        write_edits(a, 1000);
        kim::client::sync(a, sync);
        const Timed inc = run_audit(with_state, dir / "report.json");
        std::printf("incremental: %d new changes verified in %.2f s (state file %.1f KiB)\n",
                    inc.report.at("new_changes").get<int>(), inc.seconds,
                    static_cast<double>(fs::file_size(dir / "audit.state")) / 1024.0);
        server.stop();
        fs::remove_all(dir);
        fs::remove_all(writer);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kim_bench_audit: %s\n", e.what());
        return 1;
    }
}
