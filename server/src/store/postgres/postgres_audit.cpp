// What the audit reads and asks of the PostgreSQL store: pages of the whole
// log, the checkpoints, and a checkpoint signed on request.
#include <algorithm>
#include <cstdint>

#include "postgres_store_impl.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

namespace {

constexpr const char* checkpoint_columns = "SELECT server_seq, chain, time, sig FROM checkpoints";

Checkpoint checkpoint_from_row(const pg::Result& r, int row) {
    Checkpoint c;
    c.server_seq = static_cast<std::uint64_t>(r.integer(row, 0));
    c.chain = r.hash(row, 1, "checkpoint chain hash");
    c.time = r.integer(row, 2);
    const Bytes sig = r.bytes(row, 3, "checkpoint signature");
    if (sig.size() != c.sig.size()) {
        throw IntegrityError("a stored checkpoint signature has the wrong size; the server store is damaged");
    }
    std::copy(sig.begin(), sig.end(), c.sig.begin());
    return c;
}

}  // namespace

void insert_checkpoint(pg::Connection& conn, const Checkpoint& c) {
    conn.query("INSERT INTO checkpoints(server_seq, chain, time, sig) VALUES($1, $2, $3, $4)",
               pg::Params().integer(static_cast<std::int64_t>(c.server_seq)).bytes(c.chain).integer(c.time).bytes(c.sig));
}

AuditRows PostgresStore::read_log(std::uint64_t since, std::size_t limit, std::size_t soft_bytes) {
    AuditRows page;
    page.next = since;
    auto conn = pool_.acquire();
    // One snapshot: batches commit in server order, so the snapshot holds a
    // prefix of the log, and last_seq is that prefix's length.
    pg::Transaction snapshot(*conn, pg::Transaction::Kind::snapshot_read);
    page.last_seq = log_tip(*conn).last_seq;
    if (limit > 0 && since < page.last_seq) {
        // The byte bound is applied by the database, as for a pull page.
        const auto r = conn->query(
            "SELECT server_seq, received_at, chain, envelope FROM (SELECT server_seq, received_at, chain, envelope, "
            "sum(octet_length(envelope)) OVER (ORDER BY server_seq) - octet_length(envelope) AS before "
            "FROM (SELECT server_seq, received_at, chain, envelope FROM log WHERE server_seq > $1 "
            "ORDER BY server_seq LIMIT $2) page) counted WHERE before < GREATEST($3::bigint, 1) ORDER BY server_seq",
            pg::Params()
                .integer(static_cast<std::int64_t>(since))
                .integer(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)))
                .integer(static_cast<std::int64_t>(std::min<std::size_t>(soft_bytes, INT64_MAX))));
        for (int i = 0; i < r.rows(); ++i) {
            AuditRow row;
            row.server_seq = static_cast<std::uint64_t>(r.integer(i, 0));
            row.received_at = r.integer(i, 1);
            row.chain = r.hash(i, 2, "chain hash");
            row.envelope = r.text(i, 3);
            page.next = row.server_seq;
            page.rows.push_back(std::move(row));
        }
    }
    // server_seq has no gaps: whatever lies between `next` and the end remains.
    page.more = page.next < page.last_seq;
    return page;
}

std::vector<Checkpoint> PostgresStore::checkpoints() {
    auto conn = pool_.acquire();
    const auto r = conn->query(std::string(checkpoint_columns) + " ORDER BY server_seq");
    std::vector<Checkpoint> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(checkpoint_from_row(r, i));
    return out;
}

Checkpoint PostgresStore::checkpoint_now() {
    auto conn = pool_.acquire();
    // Under the writer lock: no batch of any server can land between reading
    // the tip and signing it.
    pg::Transaction tx(*conn);
    lock_writer(*conn);
    const LogSummary tip = log_tip(*conn);
    const auto latest = conn->query(std::string(checkpoint_columns) + " ORDER BY server_seq DESC LIMIT 1");
    if (!latest.empty() && static_cast<std::uint64_t>(latest.integer(0, 0)) == tip.last_seq) {
        return checkpoint_from_row(latest, 0);  // nothing new to sign; the transaction rolls back having written nothing
    }
    const Checkpoint c = sign_checkpoint(tip.last_seq, tip.chain, system_seconds(), secrets_.signing_key);
    insert_checkpoint(*conn, c);
    tx.commit();
    return c;
}

}  // namespace kim::server
