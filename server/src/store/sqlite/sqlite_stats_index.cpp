// The statistics index's statements on SQLite, and its catch-up at open.
#include "sqlite_stats_index.hpp"

namespace kim::server {

namespace {

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

}  // namespace

SqliteStatsTables::SqliteStatsTables(sqlite::Database& db)
    : db_(db),
      drop_head_(db, "DELETE FROM stat_heads WHERE site = ? AND record = ? AND field = ? AND origin = ? AND seq = ?"),
      parent_stored_(db, "SELECT 1 FROM log WHERE origin = ? AND seq = ? AND server_seq <= ?"),
      add_early_(db, "INSERT OR IGNORE INTO stat_early_parents(site, record, field, parent) VALUES(?, ?, ?, ?)"),
      take_early_(db, "DELETE FROM stat_early_parents WHERE site = ? AND record = ? AND field = ? AND parent = ?"),
      add_head_(db, "INSERT INTO stat_heads(site, record, field, origin, seq, hlc, value) VALUES(?, ?, ?, ?, ?, ?, ?)"),
      // The greatest (hlc, origin) is the last head in key order: no sort.
      // (The WHERE also keeps SQLite's INSERT ... SELECT ... ON CONFLICT unambiguous.)
      show_greatest_(db,
                     "INSERT INTO stat_values(site, record, field, value) "
                     "SELECT site, record, field, value FROM stat_heads WHERE site = ?1 AND record = ?2 AND field = ?3 "
                     "ORDER BY hlc DESC, origin DESC, seq DESC LIMIT 1 "
                     "ON CONFLICT(site, record, field) DO UPDATE SET value = excluded.value"),
      drop_value_(db, "DELETE FROM stat_values WHERE site = ? AND record = ? AND field = ?"),
      marker_(db, "UPDATE stat_index SET indexed_through = ?1 WHERE id = 1 AND indexed_through = ?1 - 1") {}

bool SqliteStatsTables::drop_head(const StatPlace& at, std::string_view origin, std::uint64_t seq) {
    drop_head_.bind(1, at.site).bind(2, at.record).bind(3, at.field).bind(4, origin).bind(5, as_int(seq)).run();
    return db_.changes() > 0;
}

bool SqliteStatsTables::stored_by(std::string_view origin, std::uint64_t seq, std::uint64_t server_seq) {
    parent_stored_.bind(1, origin).bind(2, as_int(seq)).bind(3, as_int(server_seq));
    const bool stored = parent_stored_.step();
    parent_stored_.reset();
    return stored;
}

void SqliteStatsTables::add_early_parent(const StatPlace& at, std::string_view parent) {
    add_early_.bind(1, at.site).bind(2, at.record).bind(3, at.field).bind(4, parent).run();
}

bool SqliteStatsTables::take_early_parent(const StatPlace& at, std::string_view id) {
    take_early_.bind(1, at.site).bind(2, at.record).bind(3, at.field).bind(4, id).run();
    return db_.changes() > 0;
}

void SqliteStatsTables::add_head(const StatPlace& at, const Change& c, std::string_view value) {
    add_head_.bind(1, at.site)
        .bind(2, at.record)
        .bind(3, at.field)
        .bind(4, c.origin)
        .bind(5, as_int(c.seq))
        .bind(6, as_int(c.hlc))
        .bind(7, value)
        .run();
}

bool SqliteStatsTables::show_greatest(const StatPlace& at) {
    show_greatest_.bind(1, at.site).bind(2, at.record).bind(3, at.field).run();
    return db_.changes() > 0;
}

void SqliteStatsTables::drop_value(const StatPlace& at) {
    drop_value_.bind(1, at.site).bind(2, at.record).bind(3, at.field).run();
}

bool SqliteStatsTables::move_marker(std::uint64_t server_seq) {
    marker_.bind(1, as_int(server_seq)).run();
    return db_.changes() > 0;
}

namespace {

// Changes replayed per transaction at open: bounds the memory and the size
// of each commit, and a restart resumes after the last batch committed.
constexpr std::int64_t replay_batch_size = 2000;

std::uint64_t single_integer(sqlite::Database& db, const char* sql) {
    sqlite::Statement st(db, sql);
    return st.step() && !st.is_null(0) ? static_cast<std::uint64_t>(st.integer(0)) : 0;
}

// The index was built from a longer log than the one now in the file.
void clear_index(sqlite::Database& db) {
    db.exec("DELETE FROM stat_heads");
    db.exec("DELETE FROM stat_early_parents");
    db.exec("DELETE FROM stat_values");
    db.exec("UPDATE stat_index SET indexed_through = 0 WHERE id = 1");
}

// Replays the next batch after the marker in one transaction; false when
// the index had already caught up.
bool replay_batch(sqlite::Database& db) {
    sqlite::Transaction tx(db);
    const std::uint64_t last = single_integer(db, "SELECT MAX(server_seq) FROM log");
    std::uint64_t through = single_integer(db, "SELECT indexed_through FROM stat_index WHERE id = 1");
    if (through > last) {
        clear_index(db);
        through = 0;
    }
    if (through == last) return false;
    SqliteStatsTables tables(db);
    StatsIndex index(tables);
    sqlite::Statement rows(db, "SELECT server_seq, envelope FROM log WHERE server_seq > ? ORDER BY server_seq LIMIT ?");
    rows.bind(1, as_int(through)).bind(2, replay_batch_size);
    std::int64_t seq = 0;
    while (rows.step()) {
        seq = rows.integer(0);
        index.replay(stored_change(rows.text(1), static_cast<std::uint64_t>(seq)), static_cast<std::uint64_t>(seq));
    }
    sqlite::Statement marker(db, "UPDATE stat_index SET indexed_through = ? WHERE id = 1");
    marker.bind(1, seq).run();
    tx.commit();
    return true;
}

}  // namespace

void catch_up_stats_index(sqlite::Database& db) {
    while (replay_batch(db)) {
    }
}

}  // namespace kim::server
