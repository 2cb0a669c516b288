// The statistics index's tables in the PostgreSQL store.
#pragma once

#include "../stats_index.hpp"
#include "pg_connection.hpp"

namespace kim::server {

// Runs inside the caller's write transaction, which holds the writer lock.
class PostgresStatsTables final : public StatsTables {
public:
    explicit PostgresStatsTables(pg::Connection& conn) : conn_(conn) {}

    bool drop_head(const StatPlace& at, std::string_view origin, std::uint64_t seq) override;
    bool stored_by(std::string_view origin, std::uint64_t seq, std::uint64_t server_seq) override;
    void add_early_parent(const StatPlace& at, std::string_view parent) override;
    bool take_early_parent(const StatPlace& at, std::string_view id) override;
    void add_head(const StatPlace& at, const Change& c, std::string_view value) override;
    bool show_greatest(const StatPlace& at) override;
    void drop_value(const StatPlace& at) override;
    bool move_marker(std::uint64_t server_seq) override;

private:
    pg::Connection& conn_;
};

// Replays into the index every change of the log after its marker, a batch
// per transaction under the writer lock; rebuilds it when the marker is past
// the end of the log (the log was cut by hand).
void catch_up_postgres_stats_index(pg::Connection& conn);

}  // namespace kim::server
