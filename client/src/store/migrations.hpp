// Numbered schema migrations of the replica database (schema/client/NNN_*.sql).
#pragma once

#include "kim/sqlite/database.hpp"

namespace kim::client {

// The schema version this build writes (PRAGMA user_version).
int latest_schema_version();

// Applies every migration above the file's user_version, each in its own
// transaction. Refuses a file written by a newer kimsync.
void migrate(sqlite::Database& db);

}  // namespace kim::client
