// One pushed change against the rules of docs/protocol.md "Push".
#include "push_checks.hpp"

#include <algorithm>

#include "kim/shared/base64.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/ids.hpp"

namespace kim::server {

namespace {

using protocol::Refusal;

ChangeVerdict refuse(Refusal reason, std::string message) {
    ChangeVerdict v;
    v.kind = ChangeVerdict::Kind::refused;
    v.reason = reason;
    v.message = std::move(message);
    return v;
}

// What a person can do about a forked or duplicated history.
const std::string copied_folder_advice =
    " This happens when a replica folder was copied or restored from a backup and used again: stop using that copy "
    "and set up a new replica with its own id (`kim init --replica NEW-ID`), enrolled with `kim-server replica add`.";

// "15 minutes" or "45 seconds": the skew as a person reads it.
std::string duration_text(std::uint64_t millis) {
    const std::uint64_t seconds = (millis + 999) / 1000;
    if (seconds < 120) return std::to_string(seconds) + " seconds";
    const std::uint64_t minutes = (seconds + 59) / 60;
    if (minutes < 120) return std::to_string(minutes) + " minutes";
    return std::to_string((minutes + 59) / 60) + " hours";
}

std::optional<ChangeVerdict> catalogue_refusal(const Change& c, const Catalogue& catalogue) {
    try {
        check_change_against_catalogue(catalogue, c);
    } catch (const CatalogueError& e) {
        switch (e.violation()) {
            case CatalogueViolation::unknown_kind:
            case CatalogueViolation::unknown_field: return refuse(Refusal::unknown_field, e.what());
            case CatalogueViolation::bad_value:
            case CatalogueViolation::misuse: return refuse(Refusal::bad_value, e.what());
        }
        return refuse(Refusal::bad_value, e.what());
    }
    return std::nullopt;
}

// A replica destroys the ciphertexts of an erased record (crypto-shredding),
// also those of changes it had not pushed yet: such a change comes without
// them, and is stored so, when the erasure is in the log or in the batch.
bool erased_record(const Change& c, AppendTransaction& tx, const PushContext& ctx) {
    if (ctx.erased_in_batch.count(c.record)) return true;
    std::optional<std::string> case_id;
    if (const FieldOp* link = c.op(field_case_link); link && link->value && link->value->is_string()) {
        case_id = link->value->get<std::string>();
    } else {
        case_id = tx.case_of(c.site, c.record);
    }
    if (case_id && ctx.erased_in_batch.count(*case_id)) return true;
    return tx.erased(c.site, c.record);
}

std::optional<ChangeVerdict> ciphertext_refusal(const Change& c, bool require_present) {
    for (const auto& op : c.ops) {
        if (!op.ct_hash) continue;
        if (!op.ct) {
            if (!require_present) continue;
            return refuse(Refusal::missing_ciphertext,
                          "change " + c.id() + ": confidential field '" + op.field +
                              "' carries no ciphertext ('ct'); a change is stored only whole, so that the other "
                              "replicas of the site can read it. Push it as the replica wrote it");
        }
        if (!crypto::constant_time_equal(crypto::blake2b256(*op.ct), *op.ct_hash)) {
            return refuse(Refusal::ciphertext_mismatch,
                          "change " + c.id() + ": the ciphertext of field '" + op.field +
                              "' does not match its signed hash ('ct_hash'): it was altered on the way");
        }
    }
    return std::nullopt;
}

std::optional<ChangeVerdict> signature_refusal(const PreparedChange& p, const PushContext& ctx) {
    if (p.signature_ok) return std::nullopt;
    const Change& c = p.change;
    return refuse(Refusal::bad_signature, "change " + c.id() + " has a signature that does not verify with the key enrolled for replica '" +
                                              ctx.caller.identity +
                                              "': it was altered, or the replica signs with another key than the one enrolled "
                                              "(check `kim-server replica list` against `kim status`)");
}

}  // namespace

std::string malformed_message(std::string_view id, std::string_view parse_error) {
    return std::string(id) + " is not a valid change envelope: " + std::string(parse_error);
}

PreparedChange prepare_change(Change change, const crypto::PublicKey& enrolled_key) {
    // The canonical bytes once for both: they are the costly part.
    const std::string bytes = canonical_bytes(change);
    PreparedChange p;
    p.hash = crypto::blake2b256(as_bytes(bytes));
    p.signature_ok = crypto::verify(enrolled_key, as_bytes(bytes), change.sig);
    p.change = std::move(change);
    return p;
}

ChangeVerdict check_pushed_change(const PreparedChange& p, AppendTransaction& tx, const PushContext& ctx, bool chain_checks) {
    const Change& c = p.change;
    const std::string id = c.id();
    if (c.origin != ctx.caller.identity) {
        return refuse(Refusal::wrong_origin, "change " + id + " was made by replica '" + c.origin + "', but this push comes from '" +
                                                 ctx.caller.identity + "': a replica pushes only its own changes");
    }
    if (c.site != ctx.caller.site) {
        return refuse(Refusal::wrong_site, "change " + id + " belongs to site '" + c.site + "', but replica '" +
                                               ctx.caller.identity + "' is enrolled for site '" + ctx.caller.site +
                                               "': a replica pushes only its own site's changes");
    }
    const Hash32& hash = p.hash;
    if (const auto stored = tx.find(c.origin, c.seq)) {
        if (stored->hash != hash) {
            auto v = refuse(Refusal::equivocation, "change " + id + " differs from the change " + id +
                                                       " already stored (another hash): replica '" + c.origin +
                                                       "' signed two different changes with one id (equivocation)." +
                                                       copied_folder_advice);
            v.hash = hash;
            v.stored_hash = stored->hash;
            return v;
        }
        // Stored before, so every rule held then; the copy must still be the
        // origin's own and carry intact ciphertexts (it may lack some: the
        // stored copy has them).
        if (auto r = ciphertext_refusal(c, /*require_present=*/false)) return *r;
        if (auto r = signature_refusal(p, ctx)) return *r;
        ChangeVerdict v;
        v.kind = ChangeVerdict::Kind::duplicate;
        v.hash = hash;
        v.server_seq = stored->server_seq;
        return v;
    }
    if (auto r = catalogue_refusal(c, ctx.catalogue)) return *r;
    const bool lacks_ciphertext =
        std::any_of(c.ops.begin(), c.ops.end(), [](const FieldOp& op) { return op.ct_hash && !op.ct; });
    if (auto r = ciphertext_refusal(c, /*require_present=*/!(lacks_ciphertext && erased_record(c, tx, ctx)))) return *r;
    if (auto r = signature_refusal(p, ctx)) return *r;
    if (chain_checks) {
        const OriginTip tip = tx.tip(c.origin);
        if (c.seq != tip.seq + 1) {
            const std::string stored = tip.seq == 0 ? "none of its changes is stored yet"
                                                    : "the last one stored is " + change_id(c.origin, tip.seq);
            return refuse(Refusal::gap, "change " + id + " is not the next change of replica '" + c.origin + "' (" + stored +
                                            "): push the changes in between first, in order");
        }
        if (c.prev != tip.hash) {
            const std::string before = c.seq == 1 ? "it is the replica's first change but names a predecessor"
                                                  : "its 'prev' is not the hash of " + change_id(c.origin, c.seq - 1) + " stored here";
            return refuse(Refusal::broken_chain, "change " + id + " does not continue the chain of replica '" + c.origin +
                                                     "': " + before + " (broken chain)." + copied_folder_advice);
        }
    }
    const std::uint64_t limit = ctx.now_millis + max_clock_skew_millis;
    if (hlc_millis(c.hlc) > limit) {
        return refuse(Refusal::clock_skew, "change " + id + " is dated " + duration_text(hlc_millis(c.hlc) - ctx.now_millis) +
                                               " ahead of the server's clock (at most " +
                                               duration_text(max_clock_skew_millis) +
                                               " are allowed): the clock of replica '" + c.origin +
                                               "' is wrong. Correct it; the change can be pushed once the server's clock "
                                               "has caught up with it");
    }
    ChangeVerdict v;
    v.hash = hash;
    return v;
}

}  // namespace kim::server
