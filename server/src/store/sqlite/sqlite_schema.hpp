// The server store's schema steps (schema/server/) and connection settings.
#pragma once

#include "kim/sqlite/database.hpp"

namespace kim::server {

int latest_server_schema_version();
// Applies pending steps; StateError if the file was written by a newer kim-server.
void migrate_server_store(sqlite::Database& db);

// The writer: WAL, and FULL sync so that an acknowledged push survives a
// crash or a power cut.
void configure_writer(sqlite::Database& db);
// A reader: never writes, by construction.
void configure_reader(sqlite::Database& db);

}  // namespace kim::server
