// Load on real kim-server processes (loopback, their default threads): one
// on its SQLite store on disk, or --servers N sharing one PostgreSQL
// database (--store postgres; the cluster named by $KIM_TEST_POSTGRES, which
// bench/run starts), the replicas spread over them as by a load balancer:
// R real replicas (kim::client::Replica, each its own encrypted
// SQLite file) of S sites, driven by a pool of T client threads for D
// seconds. A thread takes the replica that waited longest, makes a few local
// edits (intakes with consent, edits of its own cases and of cases of its
// site that other replicas pushed) and runs kim::client::sync on it: sign-in,
// push, pull. Setting up (creating, joining, enrolling) is not measured.
// Real replicas rather than a protocol-level client: every change is
// encrypted and signed, every pulled page verified and merged, as in the
// field; their homes are in /dev/shm (they stand for laptops elsewhere, so
// their fsyncs should not compete with the server's for this disk).
//
// Latency is per sync phase, from the library's progress callbacks:
//   push = from the call of sync() to the last push batch acknowledged (the
//          sign-in's two requests, challenge and token, plus the push
//          batches: one batch per cycle here);
//   pull = from there to the last pull page applied (verified and written).
// After the window every replica syncs twice more (the second round pulls
// what others pushed in the first) and nothing may be lost or doubled:
// the server's log holds seq 1..N of every replica once (counted in its
// store after the servers stopped), and every replica holds exactly the
// changes of its site, with one merged state per site.
//
// Usage: kim_bench_load [--replicas 200] [--sites 60] [--seconds 60] [--threads 32]
//                       [--edits 3] [--dir DIR] [--server PATH] [--server-threads N] [--seed N]
//                       [--store sqlite|postgres] [--servers N]
// Exit code 1 on any error during the run or any lost or doubled change.
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "kim/sqlite/database.hpp"
#include "raw_http.hpp"
#include "server_process.hpp"
#include "test_postgres.hpp"
#include "workload.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
    int replicas = 200;
    int sites = 60;
    int seconds = 60;
    int threads = 32;
    int edits = 3;
    fs::path dir = "/var/tmp";
    fs::path server = KIM_SERVER_BINARY;
    int server_threads = 0;  // 0: the server's default
    unsigned seed = 1;
    std::string store = "sqlite";
    int servers = 1;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--replicas") o.replicas = std::stoi(value());
        else if (a == "--sites") o.sites = std::stoi(value());
        else if (a == "--seconds") o.seconds = std::stoi(value());
        else if (a == "--threads") o.threads = std::stoi(value());
        else if (a == "--edits") o.edits = std::stoi(value());
        else if (a == "--dir") o.dir = value();
        else if (a == "--server") o.server = value();
        else if (a == "--server-threads") o.server_threads = std::stoi(value());
        else if (a == "--seed") o.seed = static_cast<unsigned>(std::stoul(value()));
        else if (a == "--store") o.store = value();
        else if (a == "--servers") o.servers = std::stoi(value());
        else throw std::invalid_argument("unknown option " + a + " (see the comment at the top of load_bench.cpp)");
    }
    if (o.sites < 1 || o.replicas < o.sites || o.seconds < 1 || o.threads < 1 || o.edits < 1) {
        throw std::invalid_argument("need --sites >= 1, --replicas >= --sites, --seconds, --threads and --edits >= 1");
    }
    if (o.store != "sqlite" && o.store != "postgres") throw std::invalid_argument("--store is sqlite or postgres");
    if (o.servers < 1 || (o.servers > 1 && o.store != "postgres")) {
        throw std::invalid_argument("--servers N: N >= 1, and several servers share a store on PostgreSQL only (--store postgres)");
    }
    return o;
}

using Servers = std::vector<std::unique_ptr<kim::test::ServerProcess>>;

// The server a replica syncs with: spread evenly, as a load balancer that
// keeps each client on one server would.
const kim::test::ServerProcess& server_of(const Servers& servers, std::size_t slot) {
    return *servers[slot % servers.size()];
}

// The CPU time of the PostgreSQL cluster's processes: the backends alive
// (one per pooled connection) and what the postmaster reaped of the others.
double postgres_cpu_seconds() {
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    double total = 0;
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        std::ifstream in(it->path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        const auto open = line.find('(');
        const auto close = line.rfind(')');
        if (open == std::string::npos || close == std::string::npos || line.substr(open + 1, close - open - 1) != "postgres") continue;
        std::istringstream rest(line.substr(close + 2));
        std::string field;
        std::vector<std::string> f;
        while (rest >> field) f.push_back(field);
        // After the name: state ppid ... utime (12th) stime cutime cstime.
        if (f.size() < 15) continue;
        total += (std::stod(f[11]) + std::stod(f[12]) + std::stod(f[13]) + std::stod(f[14])) / tick;
    }
    return total;
}

// The cases of a site that are on the server: any replica of the site whose
// sync began after a case was added here has pulled it and may edit it.
struct Site {
    std::string name;
    std::mutex mutex;
    std::vector<std::string> cases;
};

// A replica and what the benchmark knows of it; used by one thread at a time.
struct Slot {
    Replica replica;
    std::size_t site = 0;
    std::uint64_t written = 0;               // own changes written, = its last seq
    std::vector<std::string> own_cases{};
    std::vector<std::string> unpublished{};  // own cases not yet on the server
    std::size_t known = 0;                   // the first `known` site cases are pulled here
};

struct Samples {
    std::vector<double> push_ms, pull_ms, sync_ms;
    std::uint64_t syncs = 0, pushed = 0, duplicates = 0, pulled = 0, applied = 0;
    double busy_s = 0;  // time spent inside sync()
};

struct Shared {
    std::mutex mutex;
    std::deque<Slot*> idle;  // FIFO: the replica that waited longest goes next
    std::atomic<std::uint64_t> errors{0};
    std::vector<std::string> first_errors;

    void error(const std::string& what) {
        errors.fetch_add(1);
        const std::lock_guard lock(mutex);
        if (first_errors.size() < 10) first_errors.push_back(what);
    }
};

// One edit: an intake (case and consent: two changes), or one to two fields
// of an own case or of a site case that another replica created.
void edit(Slot& s, Site& site, std::mt19937& rng) {
    Replica& r = s.replica;
    const auto dice = static_cast<unsigned>(rng() % 12);
    if (s.own_cases.empty() || dice < 2) {
        const std::string n = std::to_string(s.written);
        const std::string id = r.create_case(kim::bench::intake_fields("Synthetische Person " + r.replica_id() + "-" + n));
        r.add_record("consent", id, {{"scope", "processing"}, {"form_version", "KIM-E 2026/1"}});
        s.written += 2;
        s.own_cases.push_back(id);
        s.unpublished.push_back(id);
        return;
    }
    std::string target = s.own_cases[rng() % s.own_cases.size()];
    if (dice < 4 && s.known > 0) {
        const std::lock_guard lock(site.mutex);
        target = site.cases[rng() % s.known];
    }
    if (dice % 2 == 0) {
        r.set_fields(target, {{"assessment", "Gespräch " + std::to_string(rng() % 1000) +
                                                 ": Unterlagen für das Jobcenter besprochen, Termin bei der "
                                                 "Wohnungsgesellschaft vereinbart."}});
    } else {
        r.set_fields(target, {{"need.arbeit", std::to_string(rng() % 4)}, {"phase", rng() % 2 ? "planning" : "linking"}});
    }
    s.written += 1;
}

// One sync of `s`; phase latencies into `out` when `out` is given. Throws on
// any failure, including a refusal or an outbox left over.
void sync_once(Slot& s, Site& site, const std::string& url, Samples* out) {
    std::size_t snapshot = 0;
    {
        const std::lock_guard lock(site.mutex);
        snapshot = site.cases.size();
    }
    const auto t0 = Clock::now();
    auto push_end = t0;
    auto pull_end = t0;
    bool pushed_any = false;
    kim::client::SyncOptions options;
    options.server = url;
    options.progress = [&](const kim::client::SyncProgress& p) {
        if (p.phase == kim::client::SyncProgress::Phase::push) {
            push_end = Clock::now();
            pushed_any = true;
        } else {
            pull_end = Clock::now();
        }
    };
    const auto report = kim::client::sync(s.replica, options);
    const auto t1 = Clock::now();
    if (!report.refused.empty()) {
        throw std::runtime_error("the server refused a push of " + s.replica.replica_id() + ": " + report.refused.front().message);
    }
    if (report.outbox_left != 0) {
        throw std::runtime_error(s.replica.replica_id() + " has " + std::to_string(report.outbox_left) + " changes left in its outbox");
    }
    s.known = snapshot;
    {
        const std::lock_guard lock(site.mutex);
        site.cases.insert(site.cases.end(), s.unpublished.begin(), s.unpublished.end());
    }
    s.unpublished.clear();
    if (!out) return;
    using ms = std::chrono::duration<double, std::milli>;
    if (pushed_any) {
        out->push_ms.push_back(ms(push_end - t0).count());
        out->pull_ms.push_back(ms(pull_end - push_end).count());
    }
    out->sync_ms.push_back(ms(t1 - t0).count());
    out->busy_s += std::chrono::duration<double>(t1 - t0).count();
    ++out->syncs;
    out->pushed += report.pushed;
    out->duplicates += report.push_duplicates;
    out->pulled += report.pulled;
    out->applied += report.applied.applied;
}

// Runs `work` for every slot on `threads` threads; the first error is rethrown.
template <class Work>
void for_each_slot(std::vector<Slot>& slots, int threads, Work work) {
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::string failure;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (std::size_t i = next++; i < slots.size(); i = next++) {
                try {
                    work(slots[i]);
                } catch (const std::exception& e) {
                    const std::lock_guard lock(mutex);
                    if (failure.empty()) failure = e.what();
                }
            }
        });
    }
    for (auto& t : pool) t.join();
    if (!failure.empty()) throw std::runtime_error(failure);
}

std::size_t open_descriptors(pid_t pid) {
    std::error_code ec;
    std::size_t n = 0;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
}

// Time the process's threads spent on a CPU and waiting in a run queue for
// one (schedstat), in seconds: on a shared machine the wait is what other
// programs cost the server.
std::pair<double, double> cpu_and_wait_seconds(pid_t pid) {
    std::error_code ec;
    double on_cpu = 0, waiting = 0;
    const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (fs::directory_iterator it(tasks, ec), end; !ec && it != end; it.increment(ec)) {
        std::ifstream in(it->path() / "schedstat");
        double run_ns = 0, wait_ns = 0;
        if (in >> run_ns >> wait_ns) {
            on_cpu += run_ns / 1e9;
            waiting += wait_ns / 1e9;
        }
    }
    return {on_cpu, waiting};
}

// The counters of GET /metrics, by their full name with labels.
std::map<std::string, double> metrics(int port) {
    const auto r = kim::test::http_request(port, "GET", "/metrics");
    if (r.status != 200) throw std::runtime_error("GET /metrics answered " + std::to_string(r.status));
    std::map<std::string, double> out;
    std::istringstream lines(r.body);
    std::string line;
    while (std::getline(lines, line)) {
        const auto space = line.rfind(' ');
        if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

// This process's CPU time (the replicas' side of every sync), in seconds.
double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

double load_average() {
    double avg[1] = {0};
    return ::getloadavg(avg, 1) == 1 ? avg[0] : 0;
}

// Every replica's changes once in the server's log and nowhere else; read
// from the stopped server's store. Returns the problems found.
std::vector<std::vector<std::string>> origins_in_log(const kim::test::ServerProcess& server) {
    const std::string sql = "SELECT origin, site, COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM log GROUP BY origin, site";
    if (!server.postgres_uri().empty()) return kim::test::postgres_rows(server.postgres_uri(), sql);
    kim::sqlite::Database db(server.data_dir() / "server.db", kim::sqlite::Database::Mode::read_write);
    kim::sqlite::Statement st(db, sql);
    std::vector<std::vector<std::string>> rows;
    while (st.step()) {
        rows.push_back({st.text(0), st.text(1)});
        for (int c = 2; c < 6; ++c) rows.back().push_back(std::to_string(st.integer(c)));
    }
    return rows;
}

std::vector<std::string> check_server_log(const kim::test::ServerProcess& server, const std::vector<Slot>& slots,
                                          const std::vector<std::unique_ptr<Site>>& sites, std::uint64_t& rows) {
    std::vector<std::string> problems;
    std::map<std::string, const Slot*> by_id;
    for (const auto& s : slots) by_id[s.replica.replica_id()] = &s;
    std::set<std::string> seen;
    rows = 0;
    for (const auto& row : origins_in_log(server)) {
        const std::string& origin = row[0];
        const auto count = std::stoull(row[2]);
        rows += count;
        const auto it = by_id.find(origin);
        if (it == by_id.end() || !seen.insert(origin).second) {
            problems.push_back("the server holds changes of an unknown origin or under two sites: " + origin);
            continue;
        }
        const Slot& s = *it->second;
        if (row[1] != sites[s.site]->name || count != s.written || std::stoull(row[3]) != s.written || row[4] != "1" ||
            std::stoull(row[5]) != s.written) {
            problems.push_back(origin + ": wrote seq 1.." + std::to_string(s.written) + ", the server holds " +
                               std::to_string(count) + " rows (" + row[3] + " distinct, seq " + row[4] + ".." + row[5] +
                               ", site " + row[1] + ")");
        }
    }
    for (const auto& s : slots) {
        if (s.written > 0 && !seen.count(s.replica.replica_id())) problems.push_back(s.replica.replica_id() + ": none of its changes is on the server");
    }
    return problems;
}

// Every replica holds exactly its site's changes (each origin's seq 1..N once,
// nothing waiting), and the replicas of a site show the same merged state.
std::vector<std::string> check_replicas(std::vector<Slot>& slots, std::size_t site_count) {
    std::vector<std::map<std::string, std::uint64_t>> expected(site_count);  // site -> origin -> N
    for (const auto& s : slots) expected[s.site][s.replica.replica_id()] = s.written;
    std::vector<std::string> digests(site_count);
    std::vector<std::string> problems;
    std::mutex mutex;
    for_each_slot(slots, 4, [&](Slot& s) {
        std::vector<std::string> found;
        const auto status = s.replica.status();
        std::uint64_t site_total = 0;
        for (const auto& [origin, n] : expected[s.site]) site_total += n;
        if (status.own_changes != s.written || status.all_changes != site_total || status.waiting_changes != 0) {
            found.push_back(s.replica.replica_id() + ": holds " + std::to_string(status.all_changes) + " changes (" +
                            std::to_string(status.own_changes) + " own, " + std::to_string(status.waiting_changes) +
                            " waiting), expected " + std::to_string(site_total) + " (" + std::to_string(s.written) + " own)");
        }
        std::map<std::string, std::set<std::uint64_t>> held;
        std::uint64_t changes = 0;
        const json exported = s.replica.export_changes();  // kept: the loop reads into it
        for (const auto& c : exported.at("changes")) {
            held[c.at("origin").get<std::string>()].insert(c.at("seq").get<std::uint64_t>());
            ++changes;
        }
        std::string wrong;
        if (changes != site_total || held.size() > expected[s.site].size()) {
            wrong = std::to_string(changes) + " changes of " + std::to_string(held.size()) + " origins";
        }
        for (const auto& [origin, n] : expected[s.site]) {
            const auto it = held.find(origin);
            const std::size_t have = it == held.end() ? 0 : it->second.size();
            if (have != n || (n > 0 && (*it->second.begin() != 1 || *it->second.rbegin() != n))) {
                wrong += (wrong.empty() ? "" : "; ") + origin + ": " + std::to_string(have) + " distinct of seq 1.." + std::to_string(n);
            }
        }
        if (!wrong.empty()) found.push_back(s.replica.replica_id() + " does not hold exactly its site's changes: " + wrong);
        const std::string digest = s.replica.state_digest();
        const std::lock_guard lock(mutex);
        if (digests[s.site].empty()) digests[s.site] = digest;
        else if (digests[s.site] != digest) found.push_back(s.replica.replica_id() + ": its merged state differs from its site's");
        problems.insert(problems.end(), found.begin(), found.end());
    });
    return problems;
}

// The sites and their replicas, created, joined and enrolled (not measured):
// the first replica of a site makes its key, the others join with a bundle.
struct Fleet {
    std::vector<std::unique_ptr<Site>> sites;
    std::vector<Slot> slots;
};

Fleet set_up(const Options& o, const fs::path& homes, const kim::test::ServerProcess& server) {
    // Enrolled through one server: the store, and so the enrolment, is shared.
    Fleet f;
    for (int i = 0; i < o.sites; ++i) {
        f.sites.push_back(std::make_unique<Site>());
        char name[16];
        std::snprintf(name, sizeof name, "site-%02d", i + 1);
        f.sites.back()->name = name;
    }
    f.slots.reserve(static_cast<std::size_t>(o.replicas));
    for (int i = 0; i < o.replicas; ++i) {
        const auto site = static_cast<std::size_t>(i % o.sites);
        const std::string& site_name = f.sites[site]->name;
        const std::string id = site_name + "-r" + std::to_string(i / o.sites + 1);
        auto options = kim::bench::create_options(homes / id, id);
        options.site = site_name;
        if (i >= o.sites) {
            options.join_bundle = f.slots[site].replica.export_site_key("load bundle passphrase", kim::KdfParams::minimal());
            options.bundle_passphrase = "load bundle passphrase";
        }
        Replica::create(options);
        server.enrol_replica(id, site_name, Replica::info(homes / id).public_key);
        f.slots.push_back(Slot{Replica::open(homes / id, kim::bench::bench_passphrase), site});
    }
    return f;
}

// What the measured window produced.
struct Window {
    Samples all;
    double seconds = 0;
    std::uint64_t errors = 0;
    std::vector<std::string> first_errors;
    double stored = 0, requests = 0, server_mean_ms = 0;  // from the server's /metrics
    json not_200 = json::object();                       // answers other than 200, by route and status
    double server_cpu = 0, server_run_queue = 0, clients_cpu = 0, postgres_cpu = 0, load_start = 0, load_end = 0;
    std::size_t fds_max = 0;
};

Window run_window(const Options& o, Fleet& fleet, const Servers& servers) {
    // Summed over the servers: their CPU, run-queue wait, descriptors and /metrics.
    auto sum = [&](auto of) {
        double total = 0;
        for (const auto& server : servers) total += static_cast<double>(of(*server));
        return total;
    };
    auto metrics_of_all = [&] {
        std::map<std::string, double> all;
        for (const auto& server : servers) {
            for (const auto& [key, value] : metrics(server->port())) all[key] += value;
        }
        return all;
    };
    Shared shared;
    for (auto& s : fleet.slots) shared.idle.push_back(&s);
    std::vector<Samples> samples(static_cast<std::size_t>(o.threads));
    Window w;
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
        while (sampling) {
            w.fds_max = std::max(w.fds_max, static_cast<std::size_t>(sum([](const auto& s) { return open_descriptors(s.pid()); })));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    const auto metrics_before = metrics_of_all();
    auto server_cpu = [&] { return sum([](const auto& s) { return kim::bench::cpu_seconds(s.pid()); }); };
    auto server_wait = [&] { return sum([](const auto& s) { return cpu_and_wait_seconds(s.pid()).second; }); };
    const double cpu_before = server_cpu();
    const double wait_before = server_wait();
    const double postgres_before = o.store == "postgres" ? postgres_cpu_seconds() : 0;
    const double own_before = own_cpu_seconds();
    w.load_start = load_average();
    const auto t_start = Clock::now();
    const auto deadline = t_start + std::chrono::seconds(o.seconds);
    std::vector<std::thread> workers;
    for (int t = 0; t < o.threads; ++t) {
        workers.emplace_back([&, t] {
            std::mt19937 rng(o.seed * 7919u + static_cast<unsigned>(t));
            Samples& out = samples[static_cast<std::size_t>(t)];
            while (Clock::now() < deadline) {
                Slot* s = nullptr;
                {
                    const std::lock_guard lock(shared.mutex);
                    s = shared.idle.front();
                    shared.idle.pop_front();
                }
                try {
                    for (int e = 0; e < o.edits; ++e) edit(*s, *fleet.sites[s->site], rng);
                    sync_once(*s, *fleet.sites[s->site], server_of(servers, static_cast<std::size_t>(s - fleet.slots.data())).url(),
                              &out);
                } catch (const std::exception& e) {
                    shared.error(e.what());
                }
                const std::lock_guard lock(shared.mutex);
                shared.idle.push_back(s);
            }
        });
    }
    for (auto& worker : workers) worker.join();
    w.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    w.server_cpu = server_cpu() - cpu_before;
    w.server_run_queue = server_wait() - wait_before;
    if (o.store == "postgres") w.postgres_cpu = postgres_cpu_seconds() - postgres_before;
    w.clients_cpu = own_cpu_seconds() - own_before;
    w.load_end = load_average();
    sampling = false;
    sampler.join();
    std::map<std::string, double> metrics_after;
    try {
        metrics_after = metrics_of_all();
    } catch (const std::exception& e) {
        shared.error(std::string("after the window: ") + e.what());
    }

    for (const auto& s : samples) {
        w.all.push_ms.insert(w.all.push_ms.end(), s.push_ms.begin(), s.push_ms.end());
        w.all.pull_ms.insert(w.all.pull_ms.end(), s.pull_ms.begin(), s.pull_ms.end());
        w.all.sync_ms.insert(w.all.sync_ms.end(), s.sync_ms.begin(), s.sync_ms.end());
        w.all.syncs += s.syncs;
        w.all.pushed += s.pushed;
        w.all.duplicates += s.duplicates;
        w.all.pulled += s.pulled;
        w.all.applied += s.applied;
        w.all.busy_s += s.busy_s;
    }
    w.errors = shared.errors.load();
    w.first_errors = shared.first_errors;
    auto delta = [&](const std::string& key) {
        const auto a = metrics_after.find(key);
        const auto b = metrics_before.find(key);
        return (a == metrics_after.end() ? 0 : a->second) - (b == metrics_before.end() ? 0 : b->second);
    };
    w.stored = delta("kim_changes_stored_total");
    w.requests = delta("kim_http_request_duration_seconds_count");
    w.server_mean_ms = w.requests > 0 ? 1000 * delta("kim_http_request_duration_seconds_sum") / w.requests : 0;
    const std::string requests_total = "kim_http_requests_total{";
    for (const auto& [key, value] : metrics_after) {
        if (key.rfind(requests_total, 0) == 0 && key.find("status=\"200\"") == std::string::npos && delta(key) > 0) {
            w.not_200[key.substr(requests_total.size(), key.size() - requests_total.size() - 1)] = delta(key);
        }
    }
    return w;
}

struct Verification {
    std::vector<std::string> problems;  // empty: nothing lost or doubled
    std::uint64_t written = 0;          // changes the replicas wrote
    std::uint64_t rows = 0;             // changes in the server's log
    double server_peak_mib = 0;
};

// Two more rounds of syncs (the second pulls what others pushed in the
// first; an error here is a failure too), then the server is stopped and
// its log and every replica are checked.
Verification verify(const Options& o, Fleet& fleet, Servers& servers) {
    Verification v;
    for (int round = 1; round <= 2; ++round) {
        try {
            for_each_slot(fleet.slots, std::min(o.threads, 16), [&](Slot& s) {
                sync_once(s, *fleet.sites[s.site], server_of(servers, static_cast<std::size_t>(&s - fleet.slots.data())).url(),
                          nullptr);
            });
        } catch (const std::exception& e) {
            v.problems.push_back("final sync round " + std::to_string(round) + ": " + e.what());
        }
    }
    for (auto& server : servers) {
        v.server_peak_mib += kim::bench::peak_mib(server->pid());
        const int stop_code = server->stop();
        if (stop_code != 0) v.problems.push_back("kim-server exited with " + std::to_string(stop_code));
    }
    for (const auto& s : fleet.slots) v.written += s.written;
    for (auto& p : check_server_log(*servers.front(), fleet.slots, fleet.sites, v.rows)) v.problems.push_back(std::move(p));
    for (auto& p : check_replicas(fleet.slots, fleet.sites.size())) v.problems.push_back(std::move(p));
    if (v.rows != v.written) {
        v.problems.push_back("the server holds " + std::to_string(v.rows) + " changes, the replicas wrote " + std::to_string(v.written));
    }
    return v;
}

json summary(const Options& o, const Window& w, const Verification& v) {
    auto latency = [](const std::vector<double>& ms) {
        return json{{"p50", percentile(ms, 0.50)}, {"p99", percentile(ms, 0.99)}, {"max", percentile(ms, 1.0)}};
    };
    return json{
        {"store", o.store},
        {"servers", o.servers},
        {"replicas", o.replicas},
        {"sites", o.sites},
        {"client_threads", o.threads},
        {"edits_per_sync", o.edits},
        {"duration_s", w.seconds},
        {"syncs", w.all.syncs},
        {"syncs_per_s", static_cast<double>(w.all.syncs) / w.seconds},
        {"mean_syncs_in_flight", w.all.busy_s / w.seconds},
        {"errors", w.errors},
        {"changes_pushed", w.all.pushed},
        {"push_duplicates", w.all.duplicates},
        {"changes_pulled", w.all.pulled},
        {"changes_applied_by_pull", w.all.applied},
        {"server_changes_stored", w.stored},
        {"changes_per_s", w.stored / w.seconds},
        {"push_ms", latency(w.all.push_ms)},
        {"pull_ms", latency(w.all.pull_ms)},
        {"sync_ms", latency(w.all.sync_ms)},
        {"server_requests", w.requests},
        {"server_mean_request_ms", w.server_mean_ms},
        {"server_not_200", w.not_200},
        {"server_cpu_s", w.server_cpu},
        {"server_run_queue_wait_s", w.server_run_queue},
        {"clients_cpu_s", w.clients_cpu},
        {"postgres_cpu_s", w.postgres_cpu},
        {"server_peak_mib", v.server_peak_mib},
        {"server_fds_max", w.fds_max},
        {"cpus", std::thread::hardware_concurrency()},
        {"load_average_start", w.load_start},
        {"load_average_end", w.load_end},
        {"changes_written", v.written},
        {"server_log_rows", v.rows},
        {"verified", v.problems.empty()},
    };
}

void print_table(const json& r) {
    auto row = [](const char* figure, const std::string& value) { std::printf("%-42s %s\n", figure, value.c_str()); };
    auto num = [](double x, int decimals = 1) {
        char text[64];
        std::snprintf(text, sizeof text, "%.*f", decimals, x);
        return std::string(text);
    };
    auto ms = [&](const json& l) {
        return num(l.at("p50").get<double>()) + " / " + num(l.at("p99").get<double>()) + " / " + num(l.at("max").get<double>());
    };
    const double s = r.at("duration_s").get<double>();
    std::printf("\n");
    row("figure", "value");
    row("store / kim-server processes", r.at("store").get<std::string>() + " / " + r.at("servers").dump());
    row("replicas / sites / client threads", r.at("replicas").dump() + " / " + r.at("sites").dump() + " / " +
                                                 r.at("client_threads").dump());
    row("duration of the measured window", num(s) + " s");
    row("syncs done", r.at("syncs").dump() + " (" + num(r.at("syncs_per_s").get<double>()) + "/s, " +
                          num(r.at("mean_syncs_in_flight").get<double>()) + " in flight on average)");
    row("errors", r.at("errors").dump());
    row("changes pushed (accepted)", r.at("changes_pushed").dump() + " (+" + r.at("push_duplicates").dump() + " duplicates)");
    row("changes pulled", r.at("changes_pulled").dump() + " (" + r.at("changes_applied_by_pull").dump() + " applied)");
    row("changes stored by the server", num(r.at("server_changes_stored").get<double>(), 0) + " (" +
                                            num(r.at("changes_per_s").get<double>()) + " changes/s)");
    row("push phase ms p50/p99/max (sign-in+push)", ms(r.at("push_ms")));
    row("pull phase ms p50/p99/max", ms(r.at("pull_ms")));
    row("whole sync ms p50/p99/max", ms(r.at("sync_ms")));
    row("server requests", num(r.at("server_requests").get<double>(), 0) + " (" +
                               num(r.at("server_mean_request_ms").get<double>(), 2) + " ms mean inside the server)");
    row("server answers other than 200", r.at("server_not_200").dump());
    row("server CPU time", num(r.at("server_cpu_s").get<double>()) + " s (" + num(r.at("server_cpu_s").get<double>() / s, 2) +
                               " cores); " + num(r.at("server_run_queue_wait_s").get<double>()) + " s waiting for a CPU");
    if (r.at("store") == "postgres") {
        row("PostgreSQL CPU time", num(r.at("postgres_cpu_s").get<double>()) + " s (" +
                                       num(r.at("postgres_cpu_s").get<double>() / s, 2) + " cores)");
    }
    row("replicas' CPU time (this process)", num(r.at("clients_cpu_s").get<double>()) + " s (" +
                                                 num(r.at("clients_cpu_s").get<double>() / s, 2) + " cores)");
    row("server peak memory (VmHWM, summed)", num(r.at("server_peak_mib").get<double>()) + " MiB");
    row("server open descriptors (sampled max, summed)", r.at("server_fds_max").dump());
    row("CPUs of this machine", r.at("cpus").dump() + " (load average " + num(r.at("load_average_start").get<double>(), 2) +
                                    " at start, " + num(r.at("load_average_end").get<double>(), 2) + " at end)");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        const fs::path dir = o.dir / ("kim-bench-load-" + std::to_string(::getpid()));
        const fs::path homes = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") / dir.filename() : dir / "replicas";
        fs::remove_all(dir);
        fs::remove_all(homes);
        fs::create_directories(dir);
        fs::create_directories(homes);
        std::printf("load on kim-server (loopback): %d replicas of %d sites, %d client threads, %d edits per sync, %d s; "
                    "server data in %s, %u CPUs, load average %.2f\n",
                    o.replicas, o.sites, o.threads, o.edits, o.seconds, dir.c_str(), std::thread::hardware_concurrency(),
                    load_average());
        std::fflush(stdout);

        const auto t_setup = Clock::now();
        if (o.store == "postgres") {
            // ServerProcess then puts the store in a fresh database of that cluster.
            if (!std::getenv("KIM_TEST_POSTGRES")) {
                throw std::invalid_argument("--store postgres needs a cluster in $KIM_TEST_POSTGRES (postgresql://USER@HOST:PORT); "
                                            "`bench/run load --store postgres` starts one");
            }
            ::setenv("KIM_TEST_STORE", "postgres", 1);
        }
        Servers servers;
        // Every process on the same folder finds the same store (its database).
        for (int i = 0; i < o.servers; ++i) servers.push_back(std::make_unique<kim::test::ServerProcess>(o.server, dir / "server"));
        Fleet fleet = set_up(o, homes, *servers.front());
        std::vector<std::string> start_args;
        if (o.server_threads > 0) start_args = {"--threads", std::to_string(o.server_threads)};
        for (auto& server : servers) server->start(start_args);
        std::printf("set-up took %.0f s; %d kim-server process(es), the first (pid %d) at %s\n",
                    std::chrono::duration<double>(Clock::now() - t_setup).count(), o.servers,
                    static_cast<int>(servers.front()->pid()), servers.front()->url().c_str());
        std::fflush(stdout);

        const Window w = run_window(o, fleet, servers);
        const Verification v = verify(o, fleet, servers);
        const json result = summary(o, w, v);
        print_table(result);
        for (const auto& e : w.first_errors) std::printf("error: %s\n", e.c_str());
        if (v.problems.empty()) {
            std::printf("verified: %llu changes written by %d replicas, each exactly once on the server; every replica "
                        "holds exactly its site's changes; the replicas of each site show one merged state\n",
                        static_cast<unsigned long long>(v.written), o.replicas);
        } else {
            for (std::size_t i = 0; i < std::min<std::size_t>(v.problems.size(), 20); ++i) {
                std::printf("FAILED CHECK: %s\n", v.problems[i].c_str());
            }
            std::printf("verification FAILED: %zu problems\n", v.problems.size());
        }
        std::printf("%s\n", result.dump().c_str());
        std::fflush(stdout);
        if (v.problems.empty() && w.errors == 0) {
            fs::remove_all(dir);
            fs::remove_all(homes);
            return 0;
        }
        std::fprintf(stderr, "kim_bench_load: failed; data kept in %s and %s\n", dir.c_str(), homes.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kim_bench_load: %s\n", e.what());
        return 1;
    }
}
