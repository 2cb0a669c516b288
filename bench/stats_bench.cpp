// The coordinators' statistics over a large caseload: a real kim-server
// (SQLite on disk) holding N cases of three sites, with a referral for one
// case in five and later edits of one case in ten, pushed by real replicas
// (not timed); then the dashboard's six questions to GET /v1/stats, each
// asked R times over HTTP on loopback and timed from request to the last
// byte of the answer, with the server's peak memory.
//
// Usage: kim_bench_stats [--changes N (cases; default 100,000)] [--runs R] [--dir DIR] [--server PATH]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "raw_http.hpp"
#include "server_process.hpp"
#include "workload.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using namespace kim::bench;
using Clock = std::chrono::steady_clock;

// The questions the dashboard asks when it opens.
const std::vector<std::string> dashboard_questions = {
    "/v1/stats?count=cases&by=site,phase",
    "/v1/stats?count=cases&by=need",
    "/v1/stats?count=cases&by=opened_quarter",
    "/v1/stats?count=cases&by=closed_quarter",
    "/v1/stats?count=referrals&by=target_type,outcome",
    "/v1/stats?count=referrals&by=barrier",
};

// An index into a list of `size`, chosen by a cheap deterministic hash of (i, salt).
std::size_t choose(std::size_t size, int i, int salt) {
    const auto h = static_cast<std::size_t>(i) * 2654435761u + static_cast<std::size_t>(salt) * 40503u;
    return (h >> 7) % size;
}

const std::string& pick(const std::vector<std::string>& list, int i, int salt) { return list[choose(list.size(), i, salt)]; }

// `cases` cases with the statistical fields of a real caseload, one referral
// for every fifth, one later edit (phase) for every tenth.
void write_caseload(Replica& r, int cases, int offset) {
    static const std::vector<std::string> phases{"intake", "assessment", "planning", "linking", "monitoring",
                                                 "evaluation", "closed"};
    static const std::vector<std::string> quarters{"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"};
    static const std::vector<std::string> ages{"under_18", "18_26", "27_44", "45_64", "65_plus"};
    static const std::vector<std::string> sexes{"female", "male", "diverse"};
    static const std::vector<std::string> regions{"eu", "europe_other", "middle_east_north_africa", "africa_other", "asia"};
    static const std::vector<std::string> fields{"aufenthalt", "sgb2", "arbeit", "wohnen", "gesundheit", "deutsch"};
    static const std::vector<std::string> levels{"1", "2", "3"};
    static const std::vector<std::string> targets{"jobcenter", "immigration_office", "language_course", "housing",
                                                  "health_service"};
    static const std::vector<std::string> outcomes{"pending", "successful", "partly_successful", "unsuccessful"};
    static const std::vector<std::string> barriers{"none", "language", "documents", "waiting_time", "capacity"};
    for (int n = 0; n < cases; ++n) {
        const int i = offset + n;
        const std::string& phase = pick(phases, i, 1);
        const std::size_t need = choose(fields.size(), i, 6);  // two different Handlungsfelder
        kim::client::FieldInputs f{{"name", "Synthetische Person " + std::to_string(i)},
                                   // No birth date: kim would derive the age band from it.
                                   {"address", "Weseler Straße 12, 47169 Duisburg"},
                                   {"phase", phase},
                                   {"opened_quarter", pick(quarters, i, 2)},
                                   {"age_band", pick(ages, i, 3)},
                                   {"sex", pick(sexes, i, 4)},
                                   {"origin_region", pick(regions, i, 5)},
                                   {"need." + fields[need], pick(levels, i, 7)},
                                   {"need." + fields[(need + 1) % fields.size()], pick(levels, i, 8)}};
        if (phase == "closed") {
            f.push_back({"closed_quarter", "2026-Q2"});
            f.push_back({"closure_reason", "goals_met"});
        }
        const std::string id = r.create_case(f);
        if (i % 5 == 0) {
            r.add_record("referral", id, {{"agency", "Beratungsstelle"}, {"target_type", pick(targets, i, 9)},
                                          {"outcome", pick(outcomes, i, 10)}, {"barrier", pick(barriers, i, 11)}});
        }
        if (i % 10 == 0 && phase != "closed") r.set_fields(id, {{"phase", pick(phases, i + 3, 1)}});
    }
}

std::string session_cookie(int port) {
    const auto r = kim::test::http_request(port, "POST", "/v1/session",
                                           R"({"name":"koordination","password":"bench-koordination-2026"})",
                                           {{"Content-Type", "application/json"}});
    const auto it = r.headers.find("set-cookie");
    if (r.status != 200 || it == r.headers.end()) throw std::runtime_error("sign-in failed: " + r.body);
    return it->second.substr(0, it->second.find(';'));
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const RunOptions o = parse_run_options(argc, argv, RunOptions{100'000, 5, "/var/tmp", KIM_SERVER_BINARY},
                                               "stats_bench.cpp");
        const fs::path dir = o.dir / ("kim-bench-stats-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        std::printf("GET /v1/stats over %d cases on kim-server (loopback), %d runs per question, data in %s\n",
                    o.changes, o.runs, dir.c_str());
        kim::test::ServerProcess server(o.server, dir / "server");
        server.start();
        const fs::path scratch = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") / dir.filename() : dir / "replicas";
        const std::vector<std::string> sites{"hamborn", "hochfeld", "rheinhausen"};
        const auto t_setup = Clock::now();
        for (std::size_t s = 0; s < sites.size(); ++s) {
            const fs::path home = scratch / sites[s];
            auto options = create_options(home, sites[s] + "-a");
            options.site = sites[s];
            Replica::create(options);
            Replica r = Replica::open(home, bench_passphrase);
            server.enrol_replica(sites[s] + "-a", sites[s], Replica::info(home).public_key);
            const int share = o.changes / 3 + (s == 0 ? o.changes % 3 : 0);
            std::printf("writing and pushing %d cases of %s (not timed)...\n", share, sites[s].c_str());
            std::fflush(stdout);
            write_caseload(r, share, static_cast<int>(s) * o.changes);
            kim::client::SyncOptions sync;
            sync.server = server.url();
            kim::client::sync(r, sync);
        }
        std::printf("set-up took %.0f s\n", std::chrono::duration<double>(Clock::now() - t_setup).count());
        server.admin({"user", "add", "koordination", "--role", "coordinator", "--password-stdin"},
                     "bench-koordination-2026");
        const std::string cookie = session_cookie(server.port());

        std::printf("%-52s %10s %10s %8s\n", "question", "median ms", "max ms", "total");
        double page_ms = 0;
        for (const auto& question : dashboard_questions) {
            std::vector<double> ms;
            std::uint64_t total = 0;
            for (int run = 0; run < o.runs; ++run) {
                const auto t0 = Clock::now();
                const auto r = kim::test::http_request(server.port(), "GET", question, "", {{"Cookie", cookie}});
                ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                if (r.status != 200) throw std::runtime_error(question + " answered " + std::to_string(r.status) + ": " + r.body);
                total = r.json().at("total").value("count", 0);
            }
            page_ms += median(ms);
            std::printf("%-52s %10.1f %10.1f %8llu\n", question.c_str(), median(ms),
                        *std::max_element(ms.begin(), ms.end()), static_cast<unsigned long long>(total));
            std::fflush(stdout);
        }
        std::printf("the dashboard's six questions, one after the other: %.0f ms (medians added)\n", page_ms);
        std::printf("kim-server peak memory: %.1f MiB\n", peak_mib(server.pid()));
        server.stop();
        fs::remove_all(dir);
        fs::remove_all(scratch);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kim_bench_stats: %s\n", e.what());
        return 1;
    }
}
