// The statistics index (schema/server/003_stats.sql, and its PostgreSQL
// twin): the current merged value of every record's statistical fields,
// kept in the push transaction with the log. The merge rules live here once;
// each backend supplies the table operations (StatsTables).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kim/shared/change.hpp"

namespace kim::server {

// One (site, record, field) of the index.
struct StatPlace {
    std::string_view site, record, field;
};

// The index's tables as a backend keeps them, inside the caller's write
// transaction. Each call is one statement.
class StatsTables {
public:
    virtual ~StatsTables() = default;
    // Removes one head; true when there was one.
    virtual bool drop_head(const StatPlace& at, std::string_view origin, std::uint64_t seq) = 0;
    // Whether the change origin:seq is in the log at or before `server_seq`.
    virtual bool stored_by(std::string_view origin, std::uint64_t seq, std::uint64_t server_seq) = 0;
    // Remembers that `parent` (a change id) is superseded on this place.
    virtual void add_early_parent(const StatPlace& at, std::string_view parent) = 0;
    // Takes that note away; true when there was one.
    virtual bool take_early_parent(const StatPlace& at, std::string_view id) = 0;
    virtual void add_head(const StatPlace& at, const Change& c, std::string_view value) = 0;
    // Shows the head with the greatest (hlc, origin, seq) as the value; false when no head is left.
    virtual bool show_greatest(const StatPlace& at) = 0;
    virtual void drop_value(const StatPlace& at) = 0;
    // Moves the marker from server_seq - 1 to server_seq; false when it was elsewhere.
    virtual bool move_marker(std::uint64_t server_seq) = 0;
};

// The merge rules on the index: per change in the push transaction, and per
// change of the log when a store catches its index up.
class StatsIndex {
public:
    explicit StatsIndex(StatsTables& tables) : tables_(tables) {}

    // For a push: applies the statistical ops of `c`, just stored in the log
    // as `server_seq`, and moves the index marker to it. IntegrityError when
    // the index is not at server_seq - 1 (the log was changed under the
    // running server; a restart catches the index up).
    void append(const Change& c, std::uint64_t server_seq);
    // For the catch-up: applies the ops only; the caller moves the marker
    // (a log cut by hand may have gaps, which must not stop the server).
    void replay(const Change& c, std::uint64_t server_seq);

private:
    void apply_op(const Change& c, const std::string& id, const FieldOp& op, std::uint64_t server_seq);
    bool supersede(const StatPlace& at, const std::string& parent, std::uint64_t server_seq);

    StatsTables& tables_;
};

// A change as the log stores it, for a replay; IntegrityError naming the
// server seq when the text is not a valid envelope (a damaged store).
Change stored_change(std::string_view envelope, std::uint64_t server_seq);

}  // namespace kim::server
