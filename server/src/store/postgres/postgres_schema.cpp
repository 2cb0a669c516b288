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

namespace {

int stored_version(pg::Connection& conn) {
    if (!postgres_store_exists(conn)) return 0;
    return static_cast<int>(conn.query("SELECT COALESCE(MAX(version), 0) FROM kim_schema_version").integer(0, 0));
}

void refuse_newer(int version) {
    if (version > latest_postgres_schema_version()) {
        throw StateError("this server store has schema version " + std::to_string(version) +
                         ", newer than this kim-server knows (" + std::to_string(latest_postgres_schema_version()) +
                         "); update kim-server");
    }
}

}  // namespace

void lock_postgres_schema(pg::Connection& conn) { conn.query(migration_lock); }

void apply_pending_postgres_steps(pg::Connection& conn) {
    conn.exec("CREATE TABLE IF NOT EXISTS kim_schema_version (version INTEGER NOT NULL)");
    const int version = stored_version(conn);
    refuse_newer(version);
    for (int step = version; step < latest_postgres_schema_version(); ++step) {
        conn.exec(*steps[step]);
        conn.query("INSERT INTO kim_schema_version(version) VALUES($1)", pg::Params().integer(step + 1));
    }
}

void migrate_postgres_store(pg::Connection& conn) {
    // Up to date: no DDL at all, so that a role with data privileges only
    // can run the servers once the store exists.
    const int seen = stored_version(conn);
    refuse_newer(seen);
    if (seen == latest_postgres_schema_version()) return;
    pg::Transaction tx(conn);
    lock_postgres_schema(conn);
    // Under the lock: another server may have migrated meanwhile.
    apply_pending_postgres_steps(conn);
    tx.commit();
}

}  // namespace kim::server
