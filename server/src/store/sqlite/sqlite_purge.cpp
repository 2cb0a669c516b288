// The purge of an erased record's ciphertexts from the log (GDPR Art. 17):
// only `envelope` is rewritten, which the log's triggers allow; server_seq,
// hash and chain stay, so the audit still verifies. secure_delete (set on
// the writer) overwrites the old bytes in the file.
#include <string>
#include <utility>
#include <vector>

#include "../envelope_purge.hpp"
#include "sqlite_store_impl.hpp"

namespace kim::server {

std::size_t purge_ciphertexts(sqlite::Database& db, std::string_view site, std::string_view record) {
    // The record's own changes, and those of every record of the case it is
    // (a record learns its case from its creating change: records.case_id).
    // instr() skips envelopes without a ciphertext left.
    sqlite::Statement select(db,
                             "SELECT server_seq, envelope FROM log WHERE site = ?1 AND (record = ?2 OR record IN "
                             "(SELECT record FROM records WHERE site = ?1 AND case_id = ?2)) "
                             "AND instr(envelope, '\"ct\":') > 0");
    select.bind(1, site).bind(2, record);
    // Read first, then write: rows rewritten under a running SELECT on the
    // same table may or may not be visited again. One case's changes fit in memory.
    std::vector<std::pair<std::int64_t, std::string>> rewrites;
    std::size_t removed = 0;
    while (select.step()) {
        StrippedEnvelope stripped = without_ciphertexts(select.text(1));
        if (!stripped.removed) continue;
        removed += stripped.removed;
        rewrites.emplace_back(select.integer(0), std::move(stripped.envelope));
    }
    sqlite::Statement update(db, "UPDATE log SET envelope = ? WHERE server_seq = ?");
    for (const auto& [server_seq, envelope] : rewrites) update.bind(1, envelope).bind(2, server_seq).run();
    return removed;
}

}  // namespace kim::server
