// Per-entry checks, in parallel over a page (entry_checks.hpp).
#include "entry_checks.hpp"

#include <algorithm>

#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/parallel.hpp"

namespace kim::audit {

namespace {

void check_one(const protocol::AuditLogEntry& entry, const KeyMap& keys, CheckedEntry& out) {
    out.stored_chain = base64_decode_fixed<32>(entry.chain);
    Change c;
    try {
        c = change_from_json(entry.change);
    } catch (const InputError& e) {
        out.malformed = e.what();
        return;
    } catch (const nlohmann::json::exception&) {
        out.malformed = "the change is not a JSON object of the expected form";
        return;
    }
    // The hash and the signature cover the same canonical bytes (wire-format.md):
    // made once, for both (what change_hash and verify_change_signature do each).
    const std::string canonical = canonical_bytes(c);
    out.hash = crypto::blake2b256(as_bytes(canonical));
    if (const auto k = keys.find(c.origin); k != keys.end()) {
        out.key_known = true;
        out.signature_ok = crypto::verify(k->second, as_bytes(canonical), c.sig);
    }
    for (auto& op : c.ops) {
        if (!op.ct_hash) continue;
        if (!op.ct) {
            out.purged.push_back(op.field);
            continue;
        }
        if (crypto::blake2b256(*op.ct) != *op.ct_hash) out.ct_mismatch.push_back(op.field);
        op.ct.reset();  // checked: the rest of the verification needs only the hash
    }
    try {
        check_change_against_catalogue(Catalogue::builtin(), c);
    } catch (const InputError& e) {
        out.catalogue_error = e.what();
    }
    out.change = std::move(c);
}

}  // namespace

void check_entries(const std::vector<protocol::AuditLogEntry>& entries, const KeyMap& keys, unsigned threads,
                   std::vector<CheckedEntry>& out) {
    out.clear();
    out.resize(entries.size());
    // Entries are claimed in small blocks: signatures cost about the same
    // everywhere, but ciphertext sizes vary.
    for_each_parallel(entries.size(), threads, 16, [&](std::size_t i) { check_one(entries[i], keys, out[i]); });
}

}  // namespace kim::audit
