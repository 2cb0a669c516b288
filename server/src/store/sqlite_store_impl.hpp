// The SQLite store's internals, shared by its source files (not a public header).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "read_pool.hpp"
#include "store.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::server {

class SqliteStore final : public Store {
public:
    SqliteStore(const std::filesystem::path& file, std::unique_ptr<sqlite::Database> writer, ServerSecrets secrets);

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

private:
    // Every write goes through the one writer connection, one at a time.
    std::mutex writer_mutex_;
    std::unique_ptr<sqlite::Database> writer_;
    ReadPool readers_;
    const ServerSecrets secrets_;
};

// One push batch on the writer connection: holds the writer lock and an
// IMMEDIATE transaction until commit() or destruction (rollback).
std::unique_ptr<AppendTransaction> make_sqlite_append_transaction(std::unique_lock<std::mutex> lock,
                                                                  sqlite::Database& writer);

// Fixed-size binary columns, checked: a wrong size means a damaged file.
Hash32 hash_column(const sqlite::Statement& st, int column, std::string_view what);

}  // namespace kim::server
