// The figures of the replication benchmark (issue 7) and the table that
// bench/run replication prints and writes into docs/performance.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "floor.hpp"

namespace kim::bench {

struct KimRun {
    double push_per_s = 0;
    double pull_per_s = 0;
    double incremental_s = 0;  // 1,000 edits: A's sync, then B's
    double one_edit_ms = 0;    // median of A's whole syncs of one small edit (sign-in, push, pull)
    double one_push_server_ms = 0;  // median of the server's time for those pushes (its request log)
    double client_peak_mib = 0;
    double server_peak_mib = 0;
};

struct KimSize {
    std::size_t changes = 0;
    std::vector<KimRun> runs;
};

// replicate.mjs's medians.
struct PouchResult {
    std::size_t records = 0;
    int runs = 0;
    double push_per_s = 0, pull_per_s = 0, incremental_s = 0, client_peak_mib = 0, server_peak_mib = 0;
    std::string versions;  // node, pouchdb, pouchdb-server
};

struct Report {
    std::size_t records = 0;
    std::vector<KimSize> kimsync;  // the smaller size first
    Floor floor;
    std::optional<PouchResult> pouchdb;
    std::string machine;  // processor, cores, memory, kernel, compiler and library versions, date
};

PouchResult read_pouchdb_result(const std::filesystem::path& file);
std::string describe_machine(const std::optional<PouchResult>& pouchdb);
// Markdown: the side-by-side table with ratios and goals, memory at both sizes, the floor.
std::string format_report(const Report& report);
// Replaces the part of `doc` between the benchmark's two marker lines (or
// appends it with them), writing the file aside and moving it into place.
void write_report_section(const std::filesystem::path& doc, const std::string& section);

}  // namespace kim::bench
