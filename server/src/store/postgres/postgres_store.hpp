// The PostgreSQL store: the same interface as the SQLite store, for
// deployments where several kim-server processes share one database
// (docs/operations.md). Chosen with `--store postgresql://…`; schema steps
// under schema/server/postgres/.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "../store.hpp"
#include "../store_options.hpp"

namespace kim::server {

// Whether a --store location names a PostgreSQL database (a postgresql:// or
// postgres:// URI) rather than a folder. InputError for libpq's key=value
// form, which would otherwise be taken for a folder name.
bool is_postgres_location(std::string_view location);

// Creates the tables and new secrets in an existing, empty database;
// StateError if it already holds a store.
void create_postgres_store(const std::string& conninfo);
// Opens the store, applying pending schema steps; NotFoundError with advice
// (`kim-server --store URI init`) when the database holds none.
std::unique_ptr<Store> open_postgres_store(const std::string& conninfo, const StoreOptions& options = {});

}  // namespace kim::server
