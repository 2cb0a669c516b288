// The PostgreSQL store's internals, shared by its source files (not a public header).
#pragma once

#include <optional>
#include <string>

#include "../store.hpp"
#include "../store_options.hpp"
#include "pg_connection.hpp"
#include "pg_pool.hpp"

namespace kim::server {

class PostgresStore final : public Store {
public:
    PostgresStore(const std::string& conninfo, ServerSecrets secrets, StoreOptions options);

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

    // postgres_audit.cpp
    AuditRows read_log(std::uint64_t since, std::size_t limit, std::size_t soft_bytes) override;
    std::vector<Checkpoint> checkpoints() override;
    Checkpoint checkpoint_now() override;
    // postgres_stats.cpp
    stats::Counts count_records(const stats::CountQuery& query) override;

private:
    pg::Pool pool_;
    const ServerSecrets secrets_;
    const StoreOptions options_;
};

// Takes the store's writer lock (schema: writer_lock) inside the caller's
// transaction: every process sharing the database waits for it.
void lock_writer(pg::Connection& conn);

// The last change of the log (server_seq 0 and 32 zero bytes if none).
LogSummary log_tip(pg::Connection& conn);

// One push batch on a leased connection, holding the writer lock until
// commit() or destruction (rollback).
std::unique_ptr<AppendTransaction> make_postgres_append_transaction(pg::Pool::Lease lease, const ServerSecrets& secrets,
                                                                    std::uint64_t checkpoint_interval);

// The stored checkpoints (postgres_audit.cpp); insert_checkpoint runs inside
// the caller's transaction.
void insert_checkpoint(pg::Connection& conn, const Checkpoint& checkpoint);

// Rewrites without their `ct` the stored envelopes of the site's changes to
// `record` and to the records of the case `record` (postgres_purge.cpp),
// inside the caller's transaction; returns the ciphertexts removed.
std::size_t purge_ciphertexts(pg::Connection& conn, std::string_view site, std::string_view record);

}  // namespace kim::server
