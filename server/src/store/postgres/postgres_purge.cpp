// The purge of an erased record's ciphertexts from the log (GDPR Art. 17) on
// PostgreSQL: only `envelope` is rewritten, which the log's trigger allows.
// PostgreSQL keeps the old row version until VACUUM reclaims it
// (docs/operations.md says how the store is vacuumed).
#include <string>
#include <utility>
#include <vector>

#include "../envelope_purge.hpp"
#include "postgres_store_impl.hpp"

namespace kim::server {

std::size_t purge_ciphertexts(pg::Connection& conn, std::string_view site, std::string_view record) {
    // The record's own changes, and those of every record of the case it is.
    // strpos() skips envelopes without a ciphertext left.
    const auto r = conn.query(
        "SELECT server_seq, envelope FROM log WHERE site = $1 AND (record = $2 OR record IN "
        "(SELECT record FROM records WHERE site = $1 AND case_id = $2)) AND strpos(envelope, '\"ct\":') > 0",
        pg::Params().text(site).text(record));
    std::size_t removed = 0;
    for (int i = 0; i < r.rows(); ++i) {
        StrippedEnvelope stripped = without_ciphertexts(r.text(i, 1));
        if (!stripped.removed) continue;
        removed += stripped.removed;
        conn.query("UPDATE log SET envelope = $1 WHERE server_seq = $2",
                   pg::Params().text(stripped.envelope).integer(r.integer(i, 0)));
    }
    return removed;
}

}  // namespace kim::server
