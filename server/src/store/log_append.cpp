#include "log_append.hpp"

#include "envelope_purge.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

std::optional<std::string> case_named_by(const Change& c) {
    if (c.kind == "case") return c.record;
    if (const FieldOp* link = c.op(field_case_link); link && link->value && link->value->is_string()) {
        return link->value->get<std::string>();
    }
    return std::nullopt;
}

std::size_t append_change(LogTables& tables, ChainTip& tip, const AppendRules& rules, const Change& c,
                          const Hash32& hash, std::string_view envelope_json) {
    const std::uint64_t server_seq = tip.server_seq + 1;
    const Hash32 chain = crypto::blake2b256(tip.chain, hash);
    const bool erases = c.op(field_erased) != nullptr;
    std::size_t purged = 0;
    // The first word on a record stands: a later change cannot move it to
    // another case. Learnt before the erasure check below, so that a record
    // created after its case was erased is known as erased at once.
    if (const auto case_id = case_named_by(c)) tables.learn_case(c, *case_id);
    // A change to an erased record (or the erasing change itself) is kept
    // without its ciphertexts: they must not outlive the erasure here.
    const bool erased_record = erases || tables.erased(c.site, c.record);
    StrippedEnvelope stored;
    if (erased_record) {
        stored = without_ciphertexts(envelope_json);
        purged += stored.removed;
    }
    tables.insert_change(c, server_seq, erases, hash, chain, erased_record ? std::string_view(stored.envelope) : envelope_json);
    // The statistics see the change in the same transaction as the log.
    StatsIndex(tables.stats_tables()).append(c, server_seq);
    if (erased_record) {
        // The erasure purges what came before it: the record's changes and,
        // for a case, those of its records. For a later change to an erased
        // record this catches the edits that arrived before the change that
        // linked the record to its erased case.
        purged += tables.purge_ciphertexts(c.site, c.record);
    }
    if (server_seq % rules.checkpoint_interval == 0) {
        // In this transaction: the checkpoint holds chain[k*N] exactly, and
        // goes if the batch is rolled back.
        tables.insert_checkpoint(sign_checkpoint(server_seq, chain, system_seconds(), rules.signing_key));
    }
    tip = ChainTip{server_seq, chain};
    return purged;
}

}  // namespace kim::server
