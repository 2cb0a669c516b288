// The checks a foreign change passes before it touches the merge state.
#include "importer.hpp"

#include <map>

#include "../keys/key_ring.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/parallel.hpp"

namespace kim::client {

namespace {

std::string reused_id_advice(const std::string& origin) {
    return "This happens when the folder of replica '" + origin +
           "' was copied or restored from a backup and used again: stop using that copy and set it up anew with "
           "`kim init --replica NEW-ID`";
}

}  // namespace

bool Importer::introduce(const Peer& peer, ImportReport& report) {
    if (!introduction_valid(site_key_, site_, peer.replica, peer.public_key, peer.intro_mac)) {
        if (source_ == ImportSource::server) {
            // The server relays whatever replica it enrolled; one not made
            // with --join must not stop the site's other replicas. Its
            // changes are skipped below (they are encrypted under another
            // site key and unreadable here anyway).
            unvouched_origins_.insert(peer.replica);
            report.warnings.push_back(
                "the server relays replica '" + peer.replica + "', whose introduction this site's key does not vouch "
                "for: it was probably set up with `kim init` without `--join` and so has a site key of its own (or, if "
                "every other replica is named like this, this replica was). Its changes are skipped here. The "
                "administrator should revoke it on the server and set it up again with `kim init --join KEYFILE`; "
                "`kim sync --from-start` later pulls skipped changes again");
            return false;
        }
        throw IntegrityError("the introduction of replica '" + peer.replica +
                             "' is not vouched for by this site's key: the file is forged, from another site, or this "
                             "replica was set up without --join. A second replica of a site must be created with "
                             "`kim init --join KEYFILE` (from `kim key export` on a replica of the site)");
    }
    if (const Peer* known = known_peer(peer.replica)) {
        if (known->public_key != peer.public_key) {
            throw IntegrityError("replica '" + peer.replica +
                                 "' is already known here with another public key: two devices use the same replica id. "
                                 "Give one of them a new id with `kim init --replica NEW-ID`; the file was refused");
        }
        return false;
    }
    log_.add_peer(peer);
    peers_[peer.replica] = peer;
    return true;
}

const Peer* Importer::known_peer(const std::string& origin) {
    auto it = peers_.find(origin);
    if (it == peers_.end()) it = peers_.emplace(origin, log_.peer(origin)).first;
    return it->second ? &*it->second : nullptr;
}

std::vector<Importer::Prepared> Importer::prepare(const std::vector<Change>& changes) {
    // What is held of each origin, from the database on this thread: an
    // origin's log holds seq 1 to its tip without a gap, and anything else
    // held waits in `pending`, which is empty but for gaps.
    std::map<std::string, std::uint64_t, std::less<>> tips;
    for (const auto& c : changes) {
        if (!tips.contains(c.origin)) tips.emplace(c.origin, log_.tip(c.origin).seq);
    }
    const bool some_pending = log_.pending_count() > 0;
    std::vector<Prepared> out(changes.size());
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const Change& c = changes[i];
        out[i].held_before = c.seq <= tips.at(c.origin) || (some_pending && log_.holds(c.origin, c.seq));
    }
    // Keys too; then the workers touch only their own change and slot.
    for (const auto& [origin, _] : tips) static_cast<void>(known_peer(origin));
    for_each_change_in_parallel(changes.size(), [&](std::size_t i) {
        const Change& c = changes[i];
        // The canonical bytes once, for the hash and the signature.
        const std::string canonical = canonical_bytes(c);
        out[i].hash = crypto::blake2b256(as_bytes(canonical));
        // A change held already is checked by ingest against what is held,
        // and its signature only when that differs: re-importing stays cheap.
        const auto& peer = peers_.find(c.origin)->second;
        if (peer && !out[i].held_before) out[i].signature_ok = crypto::verify(peer->public_key, as_bytes(canonical), c.sig);
    });
    return out;
}

void Importer::verify(const Change& c, const Prepared& prepared) {
    const std::string id = c.id();
    if (c.site != site_) {
        throw IntegrityError("change " + id + " belongs to site '" + c.site + "', this replica to '" + site_ + "'");
    }
    check_change_against_catalogue(catalogue_, c);
    const Peer* peer = known_peer(c.origin);
    if (!peer) {
        throw IntegrityError("change " + id + " comes from replica '" + c.origin +
                             "', which is not introduced here; import a change file that includes its introduction");
    }
    // Prepared before this page's or file's changes were ingested, after its
    // introductions; a peer's key never changes, so the check still holds.
    const bool signature_ok =
        prepared.signature_ok ? *prepared.signature_ok : crypto::verify(peer->public_key, as_bytes(canonical_bytes(c)), c.sig);
    if (!signature_ok) {
        throw IntegrityError("change " + id + " has a bad signature: it was altered or forged");
    }
    if (!ciphertexts_match_hashes(c)) {
        throw IntegrityError("change " + id + " carries a ciphertext that does not match its signed hash: it was altered");
    }
    // The server bounds a pushed change by its own clock already; twice the
    // bound lets a computer whose clock is up to 10 minutes behind still pull.
    const std::uint64_t allowed = source_ == ImportSource::server ? 2 * max_clock_skew_millis : max_clock_skew_millis;
    if (hlc_millis(c.hlc) > clock_.now_millis() + allowed) {
        const std::uint64_t minutes = (hlc_millis(c.hlc) - clock_.now_millis()) / 60'000;
        const std::string ahead = "change " + id + " is dated " + std::to_string(minutes) +
                                  " minutes ahead of this computer's clock (at most " + std::to_string(allowed / 60'000) +
                                  " are allowed): ";
        if (source_ == ImportSource::server) {
            throw ClockAheadError(ahead + "this computer's clock is probably wrong (the server accepted the change by its "
                                 "own clock). Correct this computer's clock and run `kim sync` again");
        }
        throw IntegrityError(ahead + "the clock of replica '" + c.origin +
                             "' or of this computer is wrong. Correct it and export the changes again");
    }
}

void Importer::ingest(const Change& c, const Prepared& prepared, ImportReport& report) {
    ++report.received;
    if (source_ == ImportSource::server && c.site == site_ && !known_peer(c.origin)) {
        // Unreadable and unverifiable here: not applied, not held, and it does
        // not block the page (another site's change, or a forged one, still
        // does: see verify).
        ++report.unvouched;
        if (unvouched_origins_.insert(c.origin).second) {
            report.warnings.push_back("changes of replica '" + c.origin +
                                      "' are skipped: no introduction of it vouched for by this site's key is known "
                                      "here, so they can be neither verified nor read. `kim sync --from-start` pulls "
                                      "them again once it is introduced");
        }
        return;
    }
    const Hash32& hash = prepared.hash;
    const std::string id = c.id();
    // Looked up only when it may be there: held before this page or file,
    // or a second copy within it.
    const bool second_copy = !ingested_.emplace(c.origin, c.seq).second;
    const auto held = prepared.held_before || second_copy ? log_.held(c.origin, c.seq) : std::nullopt;
    if (held) {
        if (held->hash == hash && held->sig == c.sig && ciphertexts_match_hashes(c)) {
            // The same signed bytes were verified when first received: no
            // second signature check, so re-importing a full file stays cheap.
            restore_ciphertexts(c, hash, *held);
            // A waiting change is counted as applied once its gap closes.
            if (!held->waiting) ++report.duplicates;
            return;
        }
        verify(c, prepared);  // a forgery is reported as such, not as equivocation
        if (held->hash != hash) {
            throw IntegrityError("change " + id + " differs from the change " + id + " already held here: replica '" +
                                 c.origin + "' signed two different changes with one id (equivocation). " + reused_id_advice(c.origin));
        }
        restore_ciphertexts(c, hash, *held);
        if (!held->waiting) ++report.duplicates;
        return;
    }
    verify(c, prepared);
    if (c.seq == 1) {
        if (c.prev != zero_hash) throw IntegrityError("change " + id + " is the first of its replica but names a predecessor (broken chain)");
    } else if (auto before = log_.hash_of(c.origin, c.seq - 1)) {
        if (*before != c.prev) {
            throw IntegrityError("change " + id + " does not follow " + change_id(c.origin, c.seq - 1) +
                                 " held here (broken chain): its 'prev' hash differs. " + reused_id_advice(c.origin));
        }
    } else {
        if (merge_.erased_here(c)) {
            // Held for a record erased here: without its ciphertexts, as if applied.
            Change stripped = c;
            for (auto& op : stripped.ops) op.ct.reset();
            log_.add_pending(stripped, hash);
        } else {
            log_.add_pending(c, hash);
        }
        return;
    }
    apply_and_drain(c, hash, report);
}

void Importer::restore_ciphertexts(const Change& c, const Hash32& hash, const HeldChange& held) {
    // A copy of the change without some `ct` may have come first (its
    // signature covers only `ct_hash`); an intact copy completes it, unless
    // the record was erased meanwhile.
    bool carries = false;
    for (const auto& op : c.ops) carries |= op.ct.has_value();
    if (!carries || merge_.erased_here(c)) return;
    if (!held.waiting) {
        for (const auto& op : c.ops) {
            if (op.ct && !log_.ciphertext(c.origin, c.seq, op.field)) log_.add_ciphertext(c.origin, c.seq, op.field, *op.ct);
        }
        return;
    }
    auto waiting = log_.take_pending(c.origin, c.seq);
    if (!waiting) return;
    for (auto& op : waiting->ops) {
        if (const FieldOp* incoming = c.op(op.field); incoming && incoming->ct && !op.ct) op.ct = incoming->ct;
    }
    log_.add_pending(*waiting, hash);
}

void Importer::apply_and_drain(Change c, Hash32 hash, ImportReport& report) {
    for (;;) {
        log_.append(c, hash);
        merge_.apply(c);
        clock_.observe(c.hlc);
        ++report.applied;
        if (c.op(field_erased)) {
            // Said aloud: an edit made here to this record is now hidden for good.
            report.notes.push_back("replica '" + c.origin + "' erased " + c.kind + " " + c.record);
        }
        auto next = log_.take_pending(c.origin, c.seq + 1);
        if (!next) return;
        if (next->prev != hash) {
            // Both are signed by the origin: it forked its own chain. Keep the
            // chain that connects here and drop the waiting tail of the fork.
            const auto dropped = log_.drop_pending_from(c.origin, c.seq + 2) + 1;
            report.notes.push_back("dropped " + std::to_string(dropped) + " waiting change(s) of replica '" + c.origin +
                                   "' from " + next->id() + " on: they do not follow " + c.id() + " (forked chain). " +
                                   reused_id_advice(c.origin));
            return;
        }
        hash = change_hash(*next);
        c = std::move(*next);
    }
}

}  // namespace kim::client
