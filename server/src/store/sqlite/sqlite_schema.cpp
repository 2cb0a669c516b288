// The server store's schema steps, run by kim::sqlite::migrate.
#include "sqlite_schema.hpp"

#include <iterator>
#include <string_view>

#include "kim/sqlite/migrations.hpp"

namespace kim::embedded {
extern const std::string_view server_001_initial;
extern const std::string_view server_002_checkpoints;
extern const std::string_view server_003_stats;
}

namespace kim::server {

namespace {

// Append new steps here; never edit a step that has shipped.
constexpr const std::string_view* steps[] = {
    &embedded::server_001_initial,      // 1: enrolment, log, introductions
    &embedded::server_002_checkpoints,  // 2: signed checkpoints of the log
    &embedded::server_003_stats,        // 3: statistics index (merged clear values)
};

}  // namespace

int latest_server_schema_version() { return static_cast<int>(std::size(steps)); }

void migrate_server_store(sqlite::Database& db) { sqlite::migrate(db, steps, "this server store", "kim-server"); }

void configure_writer(sqlite::Database& db) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    // A purge of ciphertexts (issue 4) must overwrite them, not just free the pages.
    db.exec("PRAGMA secure_delete = ON");
    // When the -wal starts over it is cut to nothing, so page images from
    // before a purge do not linger at its end when the TRUNCATE checkpoint
    // after the purge could not finish (a reader was active).
    db.exec("PRAGMA journal_size_limit = 0");
    // A push batch touches more pages than the default 2 MiB cache holds,
    // which would spill them into the -wal mid-way (docs/performance.md).
    db.exec("PRAGMA cache_size = -8192");
}

void configure_reader(sqlite::Database& db) {
    db.exec("PRAGMA query_only = ON");
}

}  // namespace kim::server
