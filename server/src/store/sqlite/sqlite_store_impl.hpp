// The SQLite store's internals, shared by its source files (not a public header).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "sqlite_read_pool.hpp"
#include "sqlite_store.hpp"
#include "../store.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::server {

class SqliteStore final : public Store {
public:
    SqliteStore(const std::filesystem::path& file, std::unique_ptr<sqlite::Database> writer, ServerSecrets secrets,
                StoreOptions options);

    const ServerSecrets& secrets() const override { return secrets_; }

    void add_replica(const EnrolledReplica& replica) override;
    void revoke_replica(std::string_view id, std::int64_t at) override;
    std::vector<EnrolledReplica> replicas() override;
    std::optional<EnrolledReplica> replica(std::string_view id) override;

    void add_user(const User& user) override;
    std::optional<User> user(std::string_view name) override;

    std::unique_ptr<AppendTransaction> begin_append() override;

    PullPage read_site(std::string_view site, std::string_view skip_origin, std::uint64_t since, std::size_t limit,
                       std::size_t soft_bytes) override;
    std::vector<std::string> introductions(std::string_view site) override;
    LogSummary summary() override;

    // sqlite_audit.cpp
    AuditRows read_log(std::uint64_t since, std::size_t limit, std::size_t soft_bytes) override;
    std::vector<Checkpoint> checkpoints() override;
    Checkpoint checkpoint_now() override;
    // sqlite_stats.cpp
    stats::Counts count_records(const stats::CountQuery& query) override;

private:
    // Every write goes through the one writer connection, one at a time.
    std::mutex writer_mutex_;
    std::unique_ptr<sqlite::Database> writer_;
    ReadPool readers_;
    const ServerSecrets secrets_;
    const StoreOptions options_;
};

// One push batch on the writer connection: holds the writer lock and an
// IMMEDIATE transaction until commit() or destruction (rollback).
// It signs a checkpoint with `secrets` at every multiple of `checkpoint_interval`.
std::unique_ptr<AppendTransaction> make_sqlite_append_transaction(std::unique_lock<std::mutex> lock,
                                                                  sqlite::Database& writer, const ServerSecrets& secrets,
                                                                  std::uint64_t checkpoint_interval);

// The stored checkpoints (sqlite_checkpoints.cpp). insert_checkpoint runs
// inside the caller's transaction.
void insert_checkpoint(sqlite::Database& db, const Checkpoint& checkpoint);
std::optional<Checkpoint> latest_checkpoint(sqlite::Database& db);
std::vector<Checkpoint> all_checkpoints(sqlite::Database& db);

// Rewrites without their `ct` the stored envelopes of the site's changes to
// `record` and to the records of the case `record` (sqlite_purge.cpp),
// inside the caller's transaction; returns the ciphertexts removed.
std::size_t purge_ciphertexts(sqlite::Database& db, std::string_view site, std::string_view record);

// Fixed-size binary columns, checked: a wrong size means a damaged file.
Hash32 hash_column(const sqlite::Statement& st, int column, std::string_view what);

}  // namespace kim::server
