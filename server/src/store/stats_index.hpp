// The statistics index (schema/server/003_stats.sql): the current merged
// value of every record's statistical fields, kept in the push transaction
// with the log, and caught up from the log when a store is opened.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kim/shared/change.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::server {

// Applies changes to the index inside the caller's write transaction. Holds
// its prepared statements for the life of one transaction (a push batch), so
// that each append only binds and steps. Not thread-safe (the writer's).
class StatsIndex {
public:
    explicit StatsIndex(sqlite::Database& db);

    // For a push: applies the statistical ops of `c`, just stored in the log
    // as `server_seq`, and moves the index marker to it. IntegrityError when
    // the index is not at server_seq - 1 (the log was changed under the
    // running server; a restart catches the index up).
    void append(const Change& c, std::uint64_t server_seq);
    // For the catch-up: applies the ops only; the caller moves the marker
    // (a log cut by hand may have gaps, which must not stop the server).
    void replay(const Change& c, std::uint64_t server_seq);

private:
    struct Place {
        std::string_view site, record, field;
    };
    // One op with a clear value: its parents leave the heads (or wait in
    // stat_early_parents), it becomes a head unless a stored op names it.
    void apply_op(const Change& c, const std::string& id, const FieldOp& op, std::uint64_t server_seq);
    bool supersede(const Place& at, const std::string& parent, std::uint64_t server_seq);
    bool named_earlier(const Place& at, const std::string& id);
    void refresh_value(const Place& at);
    void move_marker(std::uint64_t server_seq);

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
