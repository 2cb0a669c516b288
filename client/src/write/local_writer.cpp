// The local write path: next seq, hlc tick, field encryption, signature, append, merge.
#include "local_writer.hpp"

#include "../store/meta.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/errors.hpp"

namespace kim::client {

Change LocalWriter::commit(const std::string& record, const std::string& kind, std::vector<PlannedOp> ops,
                           const Key32* case_key) {
    // Another kim process may have written since this one opened the replica.
    if (const auto stored = meta::get(db_, meta::last_hlc)) clock_.observe(std::stoull(*stored));
    const ChainTip tip = log_.tip(replica_);
    Change c;
    c.origin = replica_;
    c.seq = tip.seq + 1;
    c.site = site_;
    c.record = record;
    c.kind = kind;
    c.hlc = clock_.tick();
    if (c.hlc > max_hlc) throw StateError("this computer's clock is set far in the future; correct it before writing");
    c.prev = tip.seq == 0 ? zero_hash : tip.hash;
    for (auto& planned : ops) {
        FieldOp op;
        op.field = planned.field;
        op.parents = std::move(planned.parents);
        if (planned.value) {
            op.value = std::move(planned.value);
        } else {
            const Key32* key = planned.seals_case_key ? &keys_.site_key : case_key;
            if (!key || !planned.plaintext) throw Error("internal: confidential field without key or value");
            op.ct = crypto::aead_encrypt(*key, *planned.plaintext, field_associated_data(c.origin, c.seq, record, op.field));
            secure_wipe(planned.plaintext->data(), planned.plaintext->size());
        }
        c.ops.push_back(std::move(op));
    }
    seal_change(c, keys_.signing_key);
    const Hash32 hash = change_hash(c);
    log_.append(c, hash);
    merge_.apply(c);
    meta::put(db_, meta::last_hlc, std::to_string(clock_.last()));
    return c;
}

}  // namespace kim::client
