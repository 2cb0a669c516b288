// The embedded default store: one SQLite file (WAL) in the server's data
// folder, schema steps under schema/server/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "../store.hpp"
#include "../store_options.hpp"

namespace kim::server {

inline constexpr const char* server_database_file = "server.db";

// Creates the data folder (mode 0700) and a fresh store with new secrets;
// StateError if the folder already holds a store.
void create_sqlite_store(const std::filesystem::path& data_dir);
// Opens an existing store, applying pending migrations; NotFoundError with
// advice (`kim-server --data DIR init`) if there is none; InputError for an
// option out of range.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& data_dir, const StoreOptions& options = {});

}  // namespace kim::server
