// What the audit reads and asks of the SQLite store: pages of the whole log,
// the checkpoints, and a checkpoint signed on request.
#include <algorithm>
#include <cstdint>

#include "sqlite_store_impl.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

AuditRows SqliteStore::read_log(std::uint64_t since, std::size_t limit, std::size_t soft_bytes) {
    AuditRows page;
    page.next = since;
    auto db = readers_.acquire();
    // One snapshot: the writer commits whole batches in server order, so the
    // snapshot holds a prefix of the log, and last_seq is that prefix's length.
    ReadSnapshot snapshot(*db);
    {
        sqlite::Statement last(*db, "SELECT MAX(server_seq) FROM log");
        if (last.step() && !last.is_null(0)) page.last_seq = static_cast<std::uint64_t>(last.integer(0));
    }
    if (limit > 0 && since < page.last_seq) {
        sqlite::Statement st(*db,
                             "SELECT server_seq, received_at, chain, envelope FROM log WHERE server_seq > ? "
                             "ORDER BY server_seq LIMIT ?");
        st.bind(1, static_cast<std::int64_t>(since))
            .bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
        std::size_t bytes = 0;
        // The page always holds one row at least, however large, so that a reader makes progress.
        while ((page.rows.empty() || bytes < soft_bytes) && st.step()) {
            AuditRow row;
            row.server_seq = static_cast<std::uint64_t>(st.integer(0));
            row.received_at = st.integer(1);
            row.chain = hash_column(st, 2, "chain hash");
            row.envelope = st.text(3);
            bytes += row.envelope.size();
            page.next = row.server_seq;
            page.rows.push_back(std::move(row));
        }
    }
    // server_seq has no gaps: whatever lies between `next` and the end remains.
    page.more = page.next < page.last_seq;
    return page;
}

std::vector<Checkpoint> SqliteStore::checkpoints() {
    auto db = readers_.acquire();
    return all_checkpoints(*db);
}

Checkpoint SqliteStore::checkpoint_now() {
    std::lock_guard lock(writer_mutex_);
    // Under the writer lock and in one transaction: no batch can land
    // between reading the tip and signing it.
    sqlite::Transaction tx(*writer_);
    std::uint64_t server_seq = 0;
    Hash32 chain{};  // chain[0]: the empty log
    {
        sqlite::Statement st(*writer_, "SELECT server_seq, chain FROM log ORDER BY server_seq DESC LIMIT 1");
        if (st.step()) {
            server_seq = static_cast<std::uint64_t>(st.integer(0));
            chain = hash_column(st, 1, "chain hash");
        }
    }
    if (auto latest = latest_checkpoint(*writer_); latest && latest->server_seq == server_seq) {
        return *latest;  // nothing new to sign; the transaction rolls back having written nothing
    }
    const Checkpoint c = sign_checkpoint(server_seq, chain, system_seconds(), secrets_.signing_key);
    insert_checkpoint(*writer_, c);
    tx.commit();
    return c;
}

}  // namespace kim::server
