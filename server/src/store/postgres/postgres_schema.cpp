#include "postgres_schema.hpp"

#include <iterator>
#include <string>
#include <string_view>

#include "kim/shared/errors.hpp"

namespace kim::embedded {
extern const std::string_view server_postgres_001_initial;
}

namespace kim::server {

namespace {

// Append new steps here; never edit a step that has shipped.
constexpr const std::string_view* steps[] = {
    &embedded::server_postgres_001_initial,  // 1: the SQLite store's tables after its step 3, and writer_lock
};

// Any fixed number: the key of the advisory lock that migrating servers share.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(4242010801)";

}  // namespace

int latest_postgres_schema_version() { return static_cast<int>(std::size(steps)); }

bool postgres_store_exists(pg::Connection& conn) {
    return !conn.query("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = "
                       "'kim_schema_version'")
                .empty();
}

void migrate_postgres_store(pg::Connection& conn) {
    pg::Transaction tx(conn);
    conn.query(migration_lock);
    conn.exec("CREATE TABLE IF NOT EXISTS kim_schema_version (version INTEGER NOT NULL)");
    const auto current = conn.query("SELECT COALESCE(MAX(version), 0) FROM kim_schema_version");
    const auto version = current.integer(0, 0);
    const auto latest = latest_postgres_schema_version();
    if (version > latest) {
        throw StateError("this server store has schema version " + std::to_string(version) +
                         ", newer than this kim-server knows (" + std::to_string(latest) + "); update kim-server");
    }
    if (version == latest) return;  // nothing to do; the transaction rolls back
    for (auto step = version; step < latest; ++step) {
        conn.exec(*steps[step]);
        conn.query("INSERT INTO kim_schema_version(version) VALUES($1)", pg::Params().integer(step + 1));
    }
    tx.commit();
}

}  // namespace kim::server
