// The statistics index's tables in the SQLite store (schema/server/003_stats.sql).
#pragma once

#include "../stats_index.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::server {

// Holds its prepared statements for the life of one transaction (a push
// batch), so that each append only binds and steps. Not thread-safe (the writer's).
class SqliteStatsTables final : public StatsTables {
public:
    explicit SqliteStatsTables(sqlite::Database& db);

    bool drop_head(const StatPlace& at, std::string_view origin, std::uint64_t seq) override;
    bool stored_by(std::string_view origin, std::uint64_t seq, std::uint64_t server_seq) override;
    void add_early_parent(const StatPlace& at, std::string_view parent) override;
    bool take_early_parent(const StatPlace& at, std::string_view id) override;
    void add_head(const StatPlace& at, const Change& c, std::string_view value) override;
    bool show_greatest(const StatPlace& at) override;
    void drop_value(const StatPlace& at) override;
    bool move_marker(std::uint64_t server_seq) override;

private:
    sqlite::Database& db_;
    sqlite::Statement drop_head_;
    sqlite::Statement parent_stored_;
    sqlite::Statement add_early_;
    sqlite::Statement take_early_;
    sqlite::Statement add_head_;
    sqlite::Statement show_greatest_;
    sqlite::Statement drop_value_;
    sqlite::Statement marker_;
};

// Replays into the index every change of the log after its marker, a batch
// per transaction, oldest first. A store older than the index replays its
// whole log once. When the marker is past the end of the log (the log was
// cut by hand), the index is rebuilt from nothing. Call at open, before any
// push: it takes the write lock of the file itself.
void catch_up_stats_index(sqlite::Database& db);

}  // namespace kim::server
