// The replication benchmark's table and the docs/performance.md section (replication_report.hpp).
#include "replication_report.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sqlite3.h>

#include "workload.hpp"

namespace kim::bench {

namespace {

namespace fs = std::filesystem;

constexpr const char* begin_marker = "<!-- bench/run replication: begin (written by kim_bench_replication) -->";
constexpr const char* end_marker = "<!-- bench/run replication: end -->";

std::string format(const char* pattern, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, pattern, value);
    return buf;
}

// 12345.6 → "12,346"
std::string whole(double value) {
    std::string digits = std::to_string(static_cast<long long>(value + 0.5));
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

double median_of(const KimSize& size, const std::function<double(const KimRun&)>& figure) {
    std::vector<double> v;
    for (const auto& run : size.runs) v.push_back(figure(run));
    return median(v);
}

std::string first_line_of(const fs::path& file, const std::string& prefix) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            const auto colon = line.find(':');
            const auto value = colon == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", colon + 1);
            return value == std::string::npos ? line : line.substr(value);
        }
    }
    return "unknown";
}

std::string verdict(bool met) { return met ? "met" : "**not met**"; }

}  // namespace

PouchResult read_pouchdb_result(const fs::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read PouchDB's result " + file.string() + ": run bench/pouchdb/replicate.mjs");
    const auto j = nlohmann::json::parse(in);
    const auto& m = j.at("median");
    PouchResult p;
    p.records = j.at("records").get<std::size_t>();
    p.runs = static_cast<int>(j.at("runs").size());
    p.push_per_s = m.at("push_docs_per_s").get<double>();
    p.pull_per_s = m.at("pull_docs_per_s").get<double>();
    p.incremental_s = m.at("incremental_s").get<double>();
    p.client_peak_mib = m.at("client_peak_mib").get<double>();
    p.server_peak_mib = m.at("server_peak_mib").get<double>();
    if (j.contains("versions")) {
        const auto& v = j.at("versions");
        p.versions = "node " + v.value("node", "?") + ", PouchDB " + v.value("pouchdb", "?") + ", pouchdb-server " +
                     v.value("pouchdb_server", "?") + " (leveldb)";
    }
    return p;
}

std::string describe_machine(const std::optional<PouchResult>& pouchdb) {
    utsname u{};
    uname(&u);
    const std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
    std::ostringstream out;
    out << date << "; " << first_line_of("/proc/cpuinfo", "model name") << ", " << std::thread::hardware_concurrency()
        << " cores, memory " << first_line_of("/proc/meminfo", "MemTotal") << "; Linux " << u.release << "; compiler "
        << __VERSION__ << " (the `ci` preset: -O2); SQLite " << sqlite3_libversion() << "; libsodium " << sodium_version_string();
    if (pouchdb && !pouchdb->versions.empty()) out << "; " << pouchdb->versions;
    out << "; the client's peak is `kim`'s own (GNU time), the server's its VmHWM";
    return out.str();
}

std::string format_report(const Report& r) {
    if (r.kimsync.empty()) throw std::logic_error("format_report: no kimsync figures");
    const KimSize& big = r.kimsync.back();
    const auto kim = [&](const std::function<double(const KimRun&)>& f) { return median_of(big, f); };
    const double push = kim([](auto& x) { return x.push_per_s; });
    const double pull = kim([](auto& x) { return x.pull_per_s; });
    const double incremental = kim([](auto& x) { return x.incremental_s; });
    const double one_edit = kim([](auto& x) { return x.one_edit_ms; });
    const double one_push = kim([](auto& x) { return x.one_push_server_ms; });
    const double client = kim([](auto& x) { return x.client_peak_mib; });
    const double server = kim([](auto& x) { return x.server_peak_mib; });
    const double floor = std::min(r.floor.sqlite_inserts_per_s, r.floor.verify_per_s_machine);
    const auto& p = r.pouchdb;

    std::ostringstream o;
    o << begin_marker << "\n";
    o << "Measured with `bench/run replication` on " << whole(static_cast<double>(big.changes))
      << " synthetic case records (about 600 bytes each), median of " << big.runs.size() << " runs";
    if (p) o << " (PouchDB: " << p->runs << " runs on the same " << whole(static_cast<double>(p->records)) << " records)";
    o << ".\nMachine and versions: " << r.machine << ".\n\n";
    o << "| figure | kimsync | PouchDB | kimsync ÷ PouchDB | goal | |\n|---|---|---|---|---|---|\n";
    // `pattern`: printf format of the figures; none for whole numbers with separators.
    const auto row = [&](const std::string& name, double mine, double theirs, const char* pattern,
                         const std::string& goal, bool met) {
        const auto text = [&](double v) { return pattern ? format(pattern, v) : whole(v); };
        o << "| " << name << " | " << text(mine) << " | " << (p ? text(theirs) : "not run") << " | "
          << (p ? format("%.2f", mine / theirs) : "") << " | " << goal << " | "
          << (p || goal[0] == '<' ? verdict(met) : "") << " |\n";
    };
    row("push (changes or docs/s)", push, p ? p->push_per_s : 0, nullptr, "≥ 10", p && push >= 10 * p->push_per_s);
    row("pull, bootstrap (changes or docs/s)", pull, p ? p->pull_per_s : 0, nullptr, "≥ 10",
        p && pull >= 10 * p->pull_per_s);
    row("incremental: 1,000 edits onto the others (s)", incremental, p ? p->incremental_s : 0, "%.3f", "< 0.3 s",
        incremental < 0.3);
    row("client peak memory (MiB)", client, p ? p->client_peak_mib : 0, "%.1f", "≤ 0.25",
        p && client <= p->client_peak_mib / 4);
    row("server peak memory (MiB)", server, p ? p->server_peak_mib : 0, "%.1f", "≤ 0.25",
        p && server <= p->server_peak_mib / 4);
    o << "| one small edit: the push answered, server's time (ms) | " << format("%.2f", one_push) << " | | | < 5 ms | "
      << verdict(one_push < 5) << " |\n";
    o << "| one small edit: the whole `sync` (sign-in, push, pull) (ms) | " << format("%.2f", one_edit)
      << " | | | | |\n\n";

    o << "Memory and rates at both sizes (kimsync, medians; flat memory means bounded batches):\n\n"
      << "| changes | push/s | pull/s | incremental (s) | client peak (MiB) | server peak (MiB) |\n|---|---|---|---|---|---|\n";
    for (const auto& size : r.kimsync) {
        const auto m = [&](const std::function<double(const KimRun&)>& f) { return median_of(size, f); };
        o << "| " << whole(static_cast<double>(size.changes)) << " | " << whole(m([](auto& x) { return x.push_per_s; }))
          << " | " << whole(m([](auto& x) { return x.pull_per_s; })) << " | "
          << format("%.3f", m([](auto& x) { return x.incremental_s; })) << " | "
          << format("%.1f", m([](auto& x) { return x.client_peak_mib; })) << " | "
          << format("%.1f", m([](auto& x) { return x.server_peak_mib; })) << " |\n";
    }
    o << "\nThe floor on the same records (sealed with XChaCha20-Poly1305 and signed; medians):\n\n"
      << "| floor | per second | kimsync push ÷ floor | kimsync pull ÷ floor |\n|---|---|---|---|\n";
    const auto floor_row = [&](const std::string& name, double rate) {
        o << "| " << name << " | " << whole(rate) << " | " << format("%.2f", push / rate) << " | "
          << format("%.2f", pull / rate) << " |\n";
    };
    floor_row("SQLite inserts, one transaction, WAL, synchronous=FULL", r.floor.sqlite_inserts_per_s);
    floor_row("Ed25519 verifications, 1 core", r.floor.verify_per_s_core);
    floor_row("Ed25519 verifications, " + std::to_string(r.floor.cores) + " cores", r.floor.verify_per_s_machine);
    floor_row("the lower of inserts and verifications on every core", floor);
    o << end_marker << "\n";
    return o.str();
}

void write_report_section(const fs::path& doc, const std::string& section) {
    std::string text;
    {
        std::ifstream in(doc);
        if (!in) throw std::runtime_error("cannot read " + doc.string() + " to write the table into it");
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const auto begin = text.find(begin_marker);
    const auto end = begin == std::string::npos ? text.find(end_marker) : text.find(end_marker, begin);
    if ((begin == std::string::npos) != (end == std::string::npos)) {
        throw std::runtime_error(doc.string() + " has one of the two marker lines of the replication table but not the other; "
                                 "put back \"" + std::string(begin_marker) + "\" and \"" + end_marker + "\"");
    }
    if (begin != std::string::npos) {
        const auto after = text.find('\n', end);
        text.replace(begin, (after == std::string::npos ? text.size() : after + 1) - begin, section);
    } else {
        text += "\n## Replication side by side with PouchDB (issue 7)\n\n" + section;
    }
    const fs::path aside = doc.string() + ".partial";
    {
        std::ofstream out(aside, std::ios::trunc);
        out << text;
        if (!out.flush()) throw std::runtime_error("cannot write " + aside.string());
    }
    fs::rename(aside, doc);
}

}  // namespace kim::bench
