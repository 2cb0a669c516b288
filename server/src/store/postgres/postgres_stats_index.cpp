// The statistics index's statements on PostgreSQL, and its catch-up at open.
#include "postgres_stats_index.hpp"

#include "postgres_store_impl.hpp"

namespace kim::server {

using pg::as_int;

namespace {

pg::Params place(const StatPlace& at) {
    pg::Params p;
    p.text(at.site).text(at.record).text(at.field);
    return p;
}

}  // namespace

bool PostgresStatsTables::drop_head(const StatPlace& at, std::string_view origin, std::uint64_t seq) {
    return conn_
               .query("DELETE FROM stat_heads WHERE site = $1 AND record = $2 AND field = $3 AND origin = $4 AND seq = $5",
                      place(at).text(origin).integer(as_int(seq)))
               .affected() > 0;
}

bool PostgresStatsTables::stored_by(std::string_view origin, std::uint64_t seq, std::uint64_t server_seq) {
    return !conn_
                .query("SELECT 1 FROM log WHERE origin = $1 AND seq = $2 AND server_seq <= $3",
                       pg::Params().text(origin).integer(as_int(seq)).integer(as_int(server_seq)))
                .empty();
}

void PostgresStatsTables::add_early_parent(const StatPlace& at, std::string_view parent) {
    conn_.query("INSERT INTO stat_early_parents(site, record, field, parent) VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                place(at).text(parent));
}

bool PostgresStatsTables::take_early_parent(const StatPlace& at, std::string_view id) {
    return conn_
               .query("DELETE FROM stat_early_parents WHERE site = $1 AND record = $2 AND field = $3 AND parent = $4",
                      place(at).text(id))
               .affected() > 0;
}

void PostgresStatsTables::add_head(const StatPlace& at, const Change& c, std::string_view value) {
    conn_.query("INSERT INTO stat_heads(site, record, field, origin, seq, hlc, value) VALUES($1, $2, $3, $4, $5, $6, $7)",
                place(at).text(c.origin).integer(as_int(c.seq)).integer(as_int(c.hlc)).text(value));
}

bool PostgresStatsTables::show_greatest(const StatPlace& at) {
    return conn_
               .query("INSERT INTO stat_values(site, record, field, value) "
                      "SELECT site, record, field, value FROM stat_heads WHERE site = $1 AND record = $2 AND field = $3 "
                      "ORDER BY hlc DESC, origin DESC, seq DESC LIMIT 1 "
                      "ON CONFLICT(site, record, field) DO UPDATE SET value = excluded.value",
                      place(at))
               .affected() > 0;
}

void PostgresStatsTables::drop_value(const StatPlace& at) {
    conn_.query("DELETE FROM stat_values WHERE site = $1 AND record = $2 AND field = $3", place(at));
}

bool PostgresStatsTables::move_marker(std::uint64_t server_seq) {
    return conn_
               .query("UPDATE stat_index SET indexed_through = $1::bigint WHERE id = 1 AND indexed_through = $1::bigint - 1",
                      pg::Params().integer(as_int(server_seq)))
               .affected() > 0;
}

namespace {

std::uint64_t single_integer(pg::Connection& conn, const std::string& sql) {
    const auto r = conn.query(sql);
    return r.empty() || r.is_null(0, 0) ? 0 : static_cast<std::uint64_t>(r.integer(0, 0));
}

// Changes replayed per transaction at open; fewer than the SQLite store's
// batch, since libpq holds a whole result in memory and an envelope may be large.
constexpr std::int64_t postgres_replay_batch_size = 200;

// Replays the next batch after the marker in one transaction; false when
// the index had already caught up.
bool replay_batch(pg::Connection& conn) {
    pg::Transaction tx(conn);
    lock_writer(conn);
    const std::uint64_t last = single_integer(conn, "SELECT MAX(server_seq) FROM log");
    std::uint64_t through = single_integer(conn, "SELECT indexed_through FROM stat_index WHERE id = 1");
    if (through > last) {
        // The index was built from a longer log than the one now in the database.
        conn.exec("DELETE FROM stat_heads; DELETE FROM stat_early_parents; DELETE FROM stat_values; "
                  "UPDATE stat_index SET indexed_through = 0 WHERE id = 1");
        through = 0;
    }
    if (through == last) return false;
    PostgresStatsTables tables(conn);
    StatsIndex index(tables);
    const auto rows = conn.query("SELECT server_seq, envelope FROM log WHERE server_seq > $1 ORDER BY server_seq LIMIT $2",
                                 pg::Params().integer(as_int(through)).integer(postgres_replay_batch_size));
    std::uint64_t seq = 0;
    for (int i = 0; i < rows.rows(); ++i) {
        seq = static_cast<std::uint64_t>(rows.integer(i, 0));
        index.replay(stored_change(rows.text(i, 1), seq), seq);
    }
    conn.query("UPDATE stat_index SET indexed_through = $1 WHERE id = 1", pg::Params().integer(as_int(seq)));
    tx.commit();
    return true;
}

}  // namespace

void catch_up_postgres_stats_index(pg::Connection& conn) {
    while (replay_batch(conn)) {
    }
}

}  // namespace kim::server
