// Keeping the statistics index (merged clear values per record and field) in
// step with the log: per change in the push transaction, and at open for a
// log that is ahead of the index.
#include "stats_index.hpp"

#include <nlohmann/json.hpp>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::server {

namespace {

// The ops the statistics count: clear string values of the kind's fields.
// Not the `case` link (records holds it), nor `_erased` (a boolean; the log's
// `erases` column holds it), nor `_key` (confidential: no value).
bool counted(const FieldOp& op) {
    return op.value && op.value->is_string() && op.field != field_case_link && !op.field.starts_with('_');
}

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

}  // namespace

StatsIndex::StatsIndex(sqlite::Database& db)
    : db_(db),
      drop_head_(db, "DELETE FROM stat_heads WHERE site = ? AND record = ? AND field = ? AND origin = ? AND seq = ?"),
      // "Stored" is "at or before this change in the log": at open the log
      // already holds later changes, which the replay has not applied yet.
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

void StatsIndex::append(const Change& c, std::uint64_t server_seq) {
    replay(c, server_seq);
    move_marker(server_seq);
}

void StatsIndex::replay(const Change& c, std::uint64_t server_seq) {
    const std::string id = c.id();
    for (const auto& op : c.ops) {
        if (counted(op)) apply_op(c, id, op, server_seq);
    }
}

void StatsIndex::apply_op(const Change& c, const std::string& id, const FieldOp& op, std::uint64_t server_seq) {
    const Place at{c.site, c.record, op.field};
    bool heads_changed = false;
    for (const auto& parent : op.parents) heads_changed |= supersede(at, parent, server_seq);
    if (!named_earlier(at, id)) {
        add_head_.bind(1, at.site)
            .bind(2, at.record)
            .bind(3, at.field)
            .bind(4, c.origin)
            .bind(5, as_int(c.seq))
            .bind(6, as_int(c.hlc))
            .bind(7, op.value->get_ref<const std::string&>())
            .run();
        heads_changed = true;
    }
    if (heads_changed) refresh_value(at);
}

// Removes `parent` from the heads; when it is not stored yet, remembers that
// it is superseded for when it arrives. True when a head went.
bool StatsIndex::supersede(const Place& at, const std::string& parent, std::uint64_t server_seq) {
    const auto p = parse_change_id(parent);
    if (!p) return false;  // change_from_json refuses these; nothing can carry that id
    drop_head_.bind(1, at.site).bind(2, at.record).bind(3, at.field).bind(4, p->origin).bind(5, as_int(p->seq)).run();
    if (db_.changes() > 0) return true;
    parent_stored_.bind(1, p->origin).bind(2, as_int(p->seq)).bind(3, as_int(server_seq));
    const bool stored = parent_stored_.step();
    parent_stored_.reset();
    // A stored parent that is no head was superseded already (or never
    // touched this field): nothing to remember.
    if (!stored) add_early_.bind(1, at.site).bind(2, at.record).bind(3, at.field).bind(4, parent).run();
    return false;
}

// Whether an op stored before this change names it as a parent on this
// (record, field); that note is used up, since a change is stored only once.
bool StatsIndex::named_earlier(const Place& at, const std::string& id) {
    take_early_.bind(1, at.site).bind(2, at.record).bind(3, at.field).bind(4, id).run();
    return db_.changes() > 0;
}

void StatsIndex::refresh_value(const Place& at) {
    show_greatest_.bind(1, at.site).bind(2, at.record).bind(3, at.field).run();
    if (db_.changes() > 0) return;
    // No head left: only parents that name each other (a forged cycle) get here.
    drop_value_.bind(1, at.site).bind(2, at.record).bind(3, at.field).run();
}

void StatsIndex::move_marker(std::uint64_t server_seq) {
    marker_.bind(1, as_int(server_seq)).run();
    if (db_.changes() == 0) {
        throw IntegrityError("the statistics index is not at server seq " + std::to_string(server_seq - 1) +
                             " of the log; the store was changed under the running server: restart kim-server "
                             "to bring the index up to date");
    }
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

Change stored_change(const std::string& envelope, std::int64_t server_seq) {
    try {
        return change_from_json(nlohmann::json::parse(envelope));
    } catch (const nlohmann::json::exception& e) {
        throw IntegrityError("the stored change at server seq " + std::to_string(server_seq) +
                             " is not valid JSON (" + e.what() + "); the server store is damaged: restore it from a backup");
    } catch (const InputError& e) {
        throw IntegrityError("the stored change at server seq " + std::to_string(server_seq) + " cannot be read (" +
                             e.what() + "); the server store is damaged: restore it from a backup");
    }
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
    StatsIndex index(db);
    sqlite::Statement rows(db, "SELECT server_seq, envelope FROM log WHERE server_seq > ? ORDER BY server_seq LIMIT ?");
    rows.bind(1, as_int(through)).bind(2, replay_batch_size);
    std::int64_t seq = 0;
    while (rows.step()) {
        seq = rows.integer(0);
        index.replay(stored_change(rows.text(1), seq), static_cast<std::uint64_t>(seq));
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
