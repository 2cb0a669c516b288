// The verifier's order-dependent checks: server seqs, the server's chain,
// each origin's chain, enrolment windows, checkpoints, purges, and what an
// earlier run remembered (verifier.hpp). The per-entry checks that need no
// order run in parallel first (entry_checks.hpp).
#include "kim/audit/verifier.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "case_facts.hpp"
#include "entry_checks.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::audit {

Hash32 chain_step(const Hash32& previous, const Hash32& change_hash) {
    return crypto::blake2b256(previous, change_hash);
}

namespace {

unsigned thread_count(unsigned asked) {
    if (asked > 0) return asked;
    return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

// A change whose ciphertexts were purged: fine once its record or case is erased.
struct PurgedChange {
    std::uint64_t server_seq = 0;
    std::string change;
    std::string site;
    std::string record;
    std::vector<std::string> fields;
};

// "field 'name' was", "fields '_key', 'name' were"
std::string fields_were(const std::vector<std::string>& fields) {
    std::string list;
    for (const auto& f : fields) list += (list.empty() ? "'" : ", '") + f + "'";
    return (fields.size() == 1 ? "field " : "fields ") + list + (fields.size() == 1 ? " was" : " were");
}

std::size_t ranges_in(const AuditState& state) {
    std::size_t n = 0;
    for (const auto& [id, tip] : state.origins) n += tip.missing.size();
    return n;
}

// What differs between the key a replica was pinned with and the one listed now.
std::string pin_differences(const PinnedReplica& pin, const crypto::PublicKey& key,
                            const protocol::AuditReplicaKey& now) {
    std::string out;
    const auto add = [&out](const std::string& what) { out += (out.empty() ? "" : ", ") + what; };
    if (key != pin.key) add("its key");
    if (now.site != pin.site) add("its site ('" + pin.site + "', now '" + now.site + "')");
    if (now.enrolled_at != pin.enrolled_at) {
        add("its enrolment time (" + std::to_string(pin.enrolled_at) + ", now " + std::to_string(now.enrolled_at) + ")");
    }
    if (pin.revoked_at && now.revoked_at != pin.revoked_at) {
        add("its revocation time (" + std::to_string(*pin.revoked_at) + ", now " +
            (now.revoked_at ? std::to_string(*now.revoked_at) : std::string("none")) + ")");
    }
    return out;
}

}  // namespace

struct Verifier::Impl {
    VerifierOptions options;
    crypto::PublicKey server_key{};
    KeyMap keys;
    std::map<std::string, protocol::AuditReplicaKey, std::less<>> enrolled;
    std::optional<AuditState> previous;
    bool incremental = false;  // continuing from `previous`
    AuditState state;          // what this run has verified, and the next one continues from
    Report report;

    std::uint64_t start_after = 0;
    std::uint64_t expected_seq = 1;  // the next server seq
    bool expect_tip = false;         // incremental: the first entry must be the previous run's last
    Hash32 honest{};                 // the chain recomputed from the changes
    Hash32 stored_previous{};        // the server's chain at the previous entry
    bool honest_in_step = true;      // the server's chain agreed with ours at the previous entry
    std::uint64_t last_processed = 0;
    bool parted_reported = false;      // a checkpoint the recomputed chain does not match
    bool resigned_reported = false;    // a checkpoint re-signed with another chain since an earlier run
    bool remembered_reported = false;  // the log no longer extends what an earlier run verified
    // Origins whose last change failed its signature: its hash is of altered
    // bytes, so the next change's prev cannot match it (not a second fault).
    std::set<std::string, std::less<>> altered_tip;

    std::multimap<std::uint64_t, Checkpoint> pending;  // checked when the log reaches them
    std::vector<PurgedChange> purged;
    std::unique_ptr<CaseTracker> cases;
    std::vector<CheckedEntry> scratch;
    std::size_t missing_ranges = 0;  // over all origins, at most max_missing_ranges

    // Beyond the kept failures only counts matter: nothing more is remembered
    // for the details of later ones (e.g. the seqs of a gap).
    bool detailed() const { return report.failures.size() < kept_failures; }

    void fail(std::uint64_t server_seq, std::string change, const char* fault, std::string message) {
        ++report.failure_count;
        if (detailed()) {
            report.failures.push_back({server_seq, clip(std::move(change), 64), fault, clip(std::move(message))});
        }
    }

    void check_pins();
    void remember_gap(OriginTip& tip, std::uint64_t first, std::uint64_t last);
    bool take_missing(OriginTip& tip, std::uint64_t seq);

    void check_checkpoint(const Checkpoint& c, const std::optional<Hash32>& chain, const std::string& change);
    void add_entry(const protocol::AuditLogEntry& e, CheckedEntry& ce);
    void check_tip_entry(const protocol::AuditLogEntry& e, const CheckedEntry& ce);
    void check_chain(const protocol::AuditLogEntry& e, const CheckedEntry& ce, const std::string& id);
    void check_origin_key(const protocol::AuditLogEntry& e, const CheckedEntry& ce, const Change& c);
    void check_origin_chain(std::uint64_t server_seq, const CheckedEntry& ce, const Change& c);
    void check_remembered(std::uint64_t server_seq, const std::string& id);
};

Verifier::Verifier(const protocol::AuditKeys& keys, std::optional<AuditState> previous, VerifierOptions options)
    : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.options = options;
    m.options.threads = thread_count(options.threads);
    const auto server_key = base64_decode_fixed<crypto::public_key_size>(keys.server_key);
    if (!server_key) throw Error("the server's audit keys name a server key that is not base64 of 32 bytes");
    m.server_key = *server_key;
    for (const auto& r : keys.replicas) {
        const auto key = base64_decode_fixed<crypto::public_key_size>(r.public_key);
        if (!key) throw Error("the server's audit keys hold a key for '" + r.id + "' that is not base64 of 32 bytes");
        m.keys.emplace(r.id, *key);
        m.enrolled.emplace(r.id, r);
    }
    m.previous = std::move(previous);
    if (m.previous && m.previous->server_key && *m.previous->server_key != m.server_key) {
        // Another server (or this one replaced): nothing of the state applies
        // to it. Its log is verified in full, on its own, and the report
        // counts only what was verified here.
        m.fail(0, "", fault::server_key,
               "the server's key is not the one pinned in the state file: this is another server than the one the "
               "state was made with, or the server was replaced or its key changed. This run verified its whole log "
               "without the state and did not save it. If the administrator confirms a planned key change (or the "
               "state belongs to another server), verify with a new state file");
        m.previous.reset();
    }
    m.incremental = m.previous && options.incremental && m.previous->server_seq > 0;
    if (m.incremental) {
        m.state = *m.previous;
        m.start_after = m.state.server_seq - 1;
        m.expected_seq = m.state.server_seq;
        m.expect_tip = true;
    } else if (m.previous) {
        m.state.checkpoints = m.previous->checkpoints;  // still compared with the log as it passes them
        m.state.checkpoint_time = m.previous->checkpoint_time;
    }
    m.report.incremental = m.incremental;
    m.check_pins();
    m.state.server_key = m.server_key;
    m.state.replicas.clear();
    for (const auto& [id, r] : m.enrolled) {
        m.state.replicas[id] = PinnedReplica{m.keys.at(id), r.site, r.enrolled_at, r.revoked_at};
    }
    m.missing_ranges = ranges_in(m.state);
    m.cases = std::make_unique<CaseTracker>(m.state);
}

// The enrolled keys against those an earlier run verified: the signature
// check trusts the keys the server lists now, so a key swapped, moved to
// another site or window, or a replica made up and backdated since then
// would let the server forge changes that pass it.
void Verifier::Impl::check_pins() {
    if (!previous) return;
    for (const auto& [id, pin] : previous->replicas) {
        const auto it = enrolled.find(id);
        if (it == enrolled.end()) {
            fail(0, "", fault::key_changed,
                 "replica '" + id + "' was enrolled when an earlier run verified the log, but the server no longer "
                 "lists its key: the enrolled keys were altered");
            continue;
        }
        const std::string differs = pin_differences(pin, keys.at(id), it->second);
        if (!differs.empty()) {
            fail(0, "", fault::key_changed,
                 "replica '" + id + "': " + differs + " differs from what an earlier run verified: the enrolled keys "
                 "were altered (changes forged with them would pass the signature check)");
        }
    }
    for (const auto& [id, now] : enrolled) {
        if (previous->replicas.count(id) || now.enrolled_at >= previous->checkpoint_time) continue;
        fail(0, "", fault::key_changed,
             "replica '" + id + "' is new since an earlier run, but enrolled at " + std::to_string(now.enrolled_at) +
                 ", before the latest checkpoint that run saw (at " + std::to_string(previous->checkpoint_time) +
                 "): its enrolment was backdated");
    }
}

void Verifier::Impl::remember_gap(OriginTip& tip, std::uint64_t first, std::uint64_t last) {
    if (!detailed() || missing_ranges >= max_missing_ranges) return;
    tip.missing[first] = last;
    ++missing_ranges;
}

// Takes `seq` out of the origin's missing ranges; false when it was not missing.
bool Verifier::Impl::take_missing(OriginTip& tip, std::uint64_t seq) {
    auto it = tip.missing.upper_bound(seq);
    if (it == tip.missing.begin()) return false;
    --it;
    const auto [first, last] = *it;
    if (seq > last) return false;
    tip.missing.erase(it);
    --missing_ranges;
    if (first < seq) {
        tip.missing[first] = seq - 1;
        ++missing_ranges;
    }
    if (seq < last && missing_ranges < max_missing_ranges) {
        tip.missing[seq + 1] = last;
        ++missing_ranges;
    }
    return true;
}

Verifier::~Verifier() = default;

std::uint64_t Verifier::start_after() const { return impl_->start_after; }

const AuditState& Verifier::state() const { return impl_->state; }

void Verifier::Impl::check_checkpoint(const Checkpoint& c, const std::optional<Hash32>& chain, const std::string& change) {
    const std::string at = "the checkpoint of server seq " + std::to_string(c.server_seq);
    if (!verify_checkpoint(c, server_key)) {
        fail(c.server_seq, change, fault::checkpoint_signature,
             at + " does not carry the server's signature: it was forged or altered");
        return;
    }
    const auto seen = previous ? previous->checkpoints.find(c.server_seq) : state.checkpoints.end();
    // The chain is cumulative: once it parts from a checkpoint, it parts
    // from every later one too. Only the first of each kind is named.
    if (previous && seen != previous->checkpoints.end() && seen->second != c.chain) {
        if (!resigned_reported) {
            fail(c.server_seq, change, fault::rewritten,
                 at + " names another chain than the one an earlier run saw there: the server rewrote its history "
                      "after that checkpoint (later checkpoints are not named again)");
        }
        resigned_reported = true;
        return;
    }
    if (chain && *chain != c.chain) {
        if (!parted_reported) {
            fail(c.server_seq, change, fault::checkpoint_mismatch,
                 at + " does not match the chain recomputed from the log: a change up to " +
                     (change.empty() ? std::string("there") : change) +
                     " was altered, removed, inserted or reordered after the server signed it (later checkpoints "
                     "are not named again)");
        }
        parted_reported = true;
        return;
    }
    state.checkpoints.emplace(c.server_seq, c.chain);
    state.checkpoint_time = std::max(state.checkpoint_time, c.time);
    ++report.checkpoints;
}

void Verifier::add_checkpoints(const std::vector<Checkpoint>& checkpoints) {
    Impl& m = *impl_;
    for (const auto& c : checkpoints) {
        if (c.server_seq == 0) {
            m.check_checkpoint(c, zero_hash, "");
        } else if (m.incremental && c.server_seq < m.expected_seq) {
            // In what an earlier run verified: against what it remembered
            // there, else by its signature alone (verify --full reads it all).
            m.check_checkpoint(c, std::nullopt, "");
        } else {
            m.pending.emplace(c.server_seq, c);
        }
    }
}

void Verifier::add_entries(const std::vector<protocol::AuditLogEntry>& entries) {
    Impl& m = *impl_;
    check_entries(entries, m.keys, m.options.threads, m.scratch);
    for (std::size_t i = 0; i < entries.size(); ++i) m.add_entry(entries[i], m.scratch[i]);
}

void Verifier::Impl::check_tip_entry(const protocol::AuditLogEntry& e, const CheckedEntry& ce) {
    expect_tip = false;
    const std::string id = ce.change ? ce.change->id() : "";
    if (e.server_seq != state.server_seq || !ce.change || ce.hash != state.last_hash || !ce.stored_chain ||
        *ce.stored_chain != state.chain) {
        fail(state.server_seq, id, fault::rewritten,
             "the log no longer holds at server seq " + std::to_string(state.server_seq) +
                 " the change an earlier run verified there: the server rewrote its history");
    }
    honest = state.chain;
    stored_previous = ce.stored_chain.value_or(state.chain);
    expected_seq = e.server_seq + 1;
    last_processed = e.server_seq;
    const auto [first, last] = pending.equal_range(e.server_seq);
    for (auto it = first; it != last; ++it) check_checkpoint(it->second, honest, id);
    pending.erase(first, last);
}

void Verifier::Impl::check_chain(const protocol::AuditLogEntry& e, const CheckedEntry& ce, const std::string& id) {
    const Hash32 next = ce.change ? chain_step(honest, ce.hash) : ce.stored_chain.value_or(honest);
    if (!ce.stored_chain) {
        fail(e.server_seq, id, fault::malformed, "its chain value is not base64 of 32 bytes");
    } else if (ce.change) {
        // Named once where the server's chain parts from ours, and again
        // wherever a change does not hash to the server's step (so an
        // altered change after the first is named too, not every later one).
        const bool step_ok = *ce.stored_chain == chain_step(stored_previous, ce.hash);
        const bool agrees = *ce.stored_chain == next;
        if (!step_ok || (!agrees && honest_in_step)) {
            fail(e.server_seq, id, fault::chain,
                 "change " + id + " does not hash to the server's chain at this position: it was altered after the "
                 "server accepted it, or changes were removed, inserted or reordered here");
        }
        honest_in_step = agrees;
    }
    if (ce.stored_chain) stored_previous = *ce.stored_chain;
    honest = next;
}

void Verifier::Impl::check_origin_key(const protocol::AuditLogEntry& e, const CheckedEntry& ce, const Change& c) {
    const std::string id = c.id();
    const auto it = enrolled.find(c.origin);
    if (it == enrolled.end()) {
        fail(e.server_seq, id, fault::unknown_origin,
             "no key was ever enrolled for origin '" + c.origin + "': the change cannot be verified (forged?)");
        return;
    }
    const protocol::AuditReplicaKey& k = it->second;
    if (k.site != c.site) {
        fail(e.server_seq, id, fault::wrong_site,
             "origin '" + c.origin + "' is enrolled for site '" + k.site + "', but the change is for site '" + c.site + "'");
    }
    if (e.received_at < k.enrolled_at) {
        fail(e.server_seq, id, fault::not_enrolled,
             "the server accepted the change at " + std::to_string(e.received_at) + ", before origin '" + c.origin +
                 "' was enrolled (at " + std::to_string(k.enrolled_at) + ")");
    }
    if (k.revoked_at && e.received_at > *k.revoked_at) {
        fail(e.server_seq, id, fault::revoked,
             "the server accepted the change at " + std::to_string(e.received_at) + ", after origin '" + c.origin +
                 "' was revoked (at " + std::to_string(*k.revoked_at) + ")");
    }
    if (!ce.signature_ok) {
        fail(e.server_seq, id, fault::signature,
             "the signature does not verify with the key enrolled for '" + c.origin +
                 "': the change was altered after it was signed, or forged in its name");
    }
}

void Verifier::Impl::check_origin_chain(std::uint64_t server_seq, const CheckedEntry& ce, const Change& c) {
    const std::string id = c.id();
    OriginTip& tip = state.origins[c.origin];
    const bool after_altered = altered_tip.erase(c.origin) > 0;
    if (!ce.signature_ok) altered_tip.insert(c.origin);
    if (c.seq == tip.seq + 1) {
        const Hash32& expected = tip.seq == 0 ? zero_hash : tip.hash;
        if (c.prev != expected && !after_altered) {
            fail(server_seq, id, fault::fork,
                 tip.seq == 0 ? "the first change of origin '" + c.origin + "' names a previous change"
                              : "its prev is not the hash of " + change_id(c.origin, tip.seq) +
                                    ": the history of origin '" + c.origin + "' forks here");
        }
    } else if (c.seq > tip.seq + 1) {
        fail(server_seq, id, fault::gap,
             "origin '" + c.origin + "' jumps from seq " + std::to_string(tip.seq) + " to " + std::to_string(c.seq) +
                 (c.seq - 1 == tip.seq + 1
                      ? ": its change " + change_id(c.origin, tip.seq + 1) + " is missing from the log"
                      : ": its changes " + change_id(c.origin, tip.seq + 1) + " to " + change_id(c.origin, c.seq - 1) +
                            " are missing from the log"));
        remember_gap(tip, tip.seq + 1, c.seq - 1);
    } else if (take_missing(tip, c.seq)) {
        fail(server_seq, id, fault::order,
             "change " + id + " comes after " + change_id(c.origin, tip.seq) +
                 " in the log: the changes of origin '" + c.origin + "' are out of order");
        return;  // the tip stays where it is
    } else {
        fail(server_seq, id, fault::equivocation,
             "change " + id + " appears a second time in the log" +
                 (c.seq == tip.seq && ce.hash == tip.hash ? "" : ", with other content (equivocation)"));
        return;
    }
    tip.seq = c.seq;
    tip.hash = ce.hash;
}

void Verifier::Impl::check_remembered(std::uint64_t server_seq, const std::string& id) {
    if (!previous || remembered_reported) return;
    // Named once, like checkpoints: every later comparison follows from the first.
    const auto it = previous->checkpoints.find(server_seq);
    if (it != previous->checkpoints.end() && it->second != honest) {
        remembered_reported = true;
        fail(server_seq, id, fault::rewritten,
             "the log does not extend the checkpoint of server seq " + std::to_string(server_seq) +
                 " that an earlier run saw: the log up to here differs from the one verified then");
    } else if (server_seq == previous->server_seq && honest != previous->chain) {
        remembered_reported = true;
        fail(server_seq, id, fault::rewritten,
             "the chain at server seq " + std::to_string(server_seq) +
                 " is not the one an earlier run verified: the log up to here differs from the one verified then");
    }
}

void Verifier::Impl::add_entry(const protocol::AuditLogEntry& e, CheckedEntry& ce) {
    if (expect_tip) {
        check_tip_entry(e, ce);
        return;
    }
    const std::string id = ce.change ? ce.change->id() : "";
    if (e.server_seq != expected_seq) {
        if (e.server_seq > expected_seq) {
            fail(e.server_seq, id, fault::sequence,
                 "server seqs " + std::to_string(expected_seq) + " to " + std::to_string(e.server_seq - 1) +
                     " are missing before this entry: changes were removed from the log");
        } else {
            fail(e.server_seq, id, fault::sequence,
                 "server seq " + std::to_string(e.server_seq) + " comes after server seq " +
                     std::to_string(expected_seq - 1) + ": the log's entries are repeated or out of order");
        }
    }
    expected_seq = std::max(expected_seq, e.server_seq + 1);
    check_chain(e, ce, id);
    if (!ce.change) {
        fail(e.server_seq, id, fault::malformed, "the change does not parse: " + ce.malformed);
    } else {
        const Change& c = *ce.change;
        check_origin_key(e, ce, c);
        for (const auto& field : ce.ct_mismatch) {
            fail(e.server_seq, id, fault::ciphertext,
                 "the ciphertext of field '" + field + "' does not match its signed hash: it was altered in the store");
        }
        if (!ce.catalogue_error.empty()) fail(e.server_seq, id, fault::catalogue, ce.catalogue_error);
        check_origin_chain(e.server_seq, ce, c);
        if (!ce.purged.empty()) purged.push_back({e.server_seq, id, c.site, c.record, ce.purged});
        cases->add(c, e.server_seq);
    }
    check_remembered(e.server_seq, id);
    const auto [first, last] = pending.equal_range(e.server_seq);
    for (auto it = first; it != last; ++it) check_checkpoint(it->second, honest, id);
    pending.erase(first, last);

    last_processed = std::max(last_processed, e.server_seq);
    state.server_seq = last_processed;
    state.chain = honest;
    state.last_hash = ce.hash;
    ++state.changes;
    ++report.new_changes;
}

Report Verifier::finish(std::uint64_t last_seq) {
    Impl& m = *impl_;
    const std::uint64_t verified_before = m.previous ? m.previous->server_seq : 0;
    if (last_seq < verified_before || m.last_processed < verified_before) {
        m.fail(verified_before, "", fault::rolled_back,
               "the log now holds " + std::to_string(std::min(last_seq, m.last_processed)) +
                   " changes, but an earlier run verified " + std::to_string(verified_before) +
                   ": the server was rolled back (restored from an older copy?) or its history was rewritten");
    } else if (m.last_processed < last_seq) {
        m.fail(m.last_processed + 1, "", fault::sequence,
               "the server says its log holds " + std::to_string(last_seq) + " changes but sent only " +
                   std::to_string(m.last_processed) + ": it withholds part of its log");
    }
    for (const auto& [seq, c] : m.pending) {
        if (!verify_checkpoint(c, m.server_key)) {
            m.fail(seq, "", fault::checkpoint_signature,
                   "the checkpoint of server seq " + std::to_string(seq) +
                       " does not carry the server's signature: it was forged or altered");
        } else {
            m.fail(seq, "", fault::rolled_back,
                   "the server signed a checkpoint of " + std::to_string(seq) + " changes, but its log holds only " +
                       std::to_string(m.last_processed) + ": it was rolled back or truncated after that checkpoint");
        }
    }
    m.pending.clear();
    for (const auto& p : m.purged) {
        if (!m.cases->erased(p.site, p.record)) {
            m.fail(p.server_seq, p.change, fault::purged,
                   "the ciphertext of " + fields_were(p.fields) + " purged, but record " + p.record + " of site '" +
                       p.site + "' and its case were never erased there: ciphertexts were deleted without an erasure");
        }
    }
    m.purged.clear();
    m.report.findings = m.cases->consent_findings();
    m.report.changes = m.state.changes;
    m.report.origins = m.state.origins.size();
    return m.report;
}

}  // namespace kim::audit
