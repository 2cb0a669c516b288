// The PostgreSQL store's schema steps (schema/server/postgres/).
#pragma once

#include "pg_connection.hpp"

namespace kim::server {

int latest_postgres_schema_version();
// Applies pending steps in one transaction, under an advisory lock so that
// servers starting together migrate once; StateError if the database was
// written by a newer kim-server.
void migrate_postgres_store(pg::Connection& conn);
// Whether the database holds a kim-server store (of any version).
bool postgres_store_exists(pg::Connection& conn);
// For `init`, inside the caller's transaction: the advisory lock that
// migrating servers share, then every step (the caller holds the lock).
void lock_postgres_schema(pg::Connection& conn);
void apply_pending_postgres_steps(pg::Connection& conn);

}  // namespace kim::server
