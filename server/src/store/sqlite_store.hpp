// The embedded default store: one SQLite file (WAL) in the server's data
// folder, schema steps under schema/server/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "store.hpp"
#include "kim/shared/audit_protocol.hpp"

namespace kim::server {

inline constexpr const char* server_database_file = "server.db";

// Creates the data folder (mode 0700) and a fresh store with new secrets;
// StateError if the folder already holds a store.
void create_sqlite_store(const std::filesystem::path& data_dir);
inline constexpr std::uint64_t max_checkpoint_interval = 1'000'000;

// How an opened store behaves; the defaults suit the admin commands.
struct StoreOptions {
    // A checkpoint is signed whenever server_seq reaches a multiple of this
    // (1..max_checkpoint_interval; `serve --checkpoint-every N`).
    std::uint64_t checkpoint_interval = protocol::default_checkpoint_interval;
};

// Opens an existing store, applying pending migrations; NotFoundError with
// advice (`kim-server --data DIR init`) if there is none; InputError for an
// option out of range.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& data_dir, const StoreOptions& options = {});

}  // namespace kim::server
