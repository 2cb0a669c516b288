// The checks a foreign change passes before it touches the merge state.
#include "importer.hpp"

#include "../keys/key_ring.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

bool Importer::introduce(const Peer& peer) {
    if (!introduction_valid(site_key_, site_, peer.replica, peer.public_key, peer.intro_mac)) {
        throw IntegrityError("the introduction of replica '" + peer.replica +
                             "' is not vouched for by this site's key: the file is forged or from another site");
    }
    if (auto known = log_.peer(peer.replica)) {
        if (known->public_key != peer.public_key) {
            throw IntegrityError("replica '" + peer.replica +
                                 "' is already known here with another public key; refusing the file");
        }
        return false;
    }
    log_.add_peer(peer);
    return true;
}

void Importer::verify(const Change& c) {
    const std::string id = c.id();
    if (c.site != site_) {
        throw IntegrityError("change " + id + " belongs to site '" + c.site + "', this replica to '" + site_ + "'");
    }
    check_change_against_catalogue(catalogue_, c);
    const auto peer = log_.peer(c.origin);
    if (!peer) {
        throw IntegrityError("change " + id + " comes from replica '" + c.origin +
                             "', which is not introduced here; import a change file that includes its introduction");
    }
    if (!verify_change_signature(c, peer->public_key)) {
        throw IntegrityError("change " + id + " has a bad signature: it was altered or forged");
    }
    if (!ciphertexts_match_hashes(c)) {
        throw IntegrityError("change " + id + " carries a ciphertext that does not match its signed hash: it was altered");
    }
}

void Importer::ingest(const Change& c, ImportReport& report) {
    ++report.received;
    const Hash32 hash = change_hash(c);
    const std::string id = c.id();
    auto stored = log_.hash_of(c.origin, c.seq);
    if (!stored) stored = log_.pending_hash(c.origin, c.seq);
    if (stored && *stored == hash && ciphertexts_match_hashes(c)) {
        // The same canonical bytes were verified when first received: no
        // second signature check, so re-importing a full file stays cheap.
        ++report.duplicates;
        return;
    }
    verify(c);
    if (stored) {
        if (*stored != hash) {
            throw IntegrityError("change " + id + " differs from the change " + id +
                                 " already held here (equivocation): replica '" + c.origin + "' signed two different changes with one id");
        }
        ++report.duplicates;
        return;
    }
    if (c.seq == 1) {
        if (c.prev != zero_hash) throw IntegrityError("change " + id + " is the first of its replica but names a predecessor (broken chain)");
    } else if (auto before = log_.hash_of(c.origin, c.seq - 1)) {
        if (*before != c.prev) {
            throw IntegrityError("change " + id + " does not follow " + change_id(c.origin, c.seq - 1) +
                                 " held here (broken chain): its 'prev' hash differs");
        }
    } else {
        if (merge_.erased_here(c)) {
            // Held for a record erased here: without its ciphertexts, as if applied.
            Change held = c;
            for (auto& op : held.ops) op.ct.reset();
            log_.add_pending(held, hash);
        } else {
            log_.add_pending(c, hash);
        }
        return;
    }
    apply_and_drain(c, hash, report);
}

void Importer::apply_and_drain(Change c, Hash32 hash, ImportReport& report) {
    for (;;) {
        log_.append(c, hash);
        merge_.apply(c);
        clock_.observe(c.hlc);
        ++report.applied;
        auto next = log_.take_pending(c.origin, c.seq + 1);
        if (!next) return;
        if (next->prev != hash) {
            // Both are signed by the origin: it forked its own chain. Keep the
            // change that connects and report the other.
            report.notes.push_back("dropped change " + next->id() + ": it does not follow " + c.id() + " (forked chain)");
            return;
        }
        hash = change_hash(*next);
        c = std::move(*next);
    }
}

}  // namespace kim::client
