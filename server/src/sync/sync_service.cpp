// Push and pull of protocol v1 (docs/protocol.md "Push", "Pull").
#include "sync_service.hpp"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <set>

#include "introduction_check.hpp"
#include "push_checks.hpp"
#include "sync_errors.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/parallel.hpp"

namespace kim::server {

namespace {

using protocol::PushStatus;
using protocol::Refusal;

// The id of an envelope that failed to parse, if it has a readable one.
std::string id_of_unparsed(const nlohmann::json& j, std::size_t index) {
    if (j.is_object()) {
        const auto origin = j.find("origin");
        const auto seq = j.find("seq");
        if (origin != j.end() && origin->is_string() && is_valid_name(origin->get_ref<const std::string&>()) &&
            seq != j.end() && seq->is_number_integer() && seq->get<std::int64_t>() > 0) {
            return change_id(origin->get<std::string>(), static_cast<std::uint64_t>(seq->get<std::int64_t>()));
        }
    }
    return "#" + std::to_string(index);
}

// One line for the operator: ids and hashes only, never content.
void log_equivocation(const Change& c, const Hash32& pushed, const Hash32& stored) {
    const std::string line = "kim-server: equivocation refused: replica " + c.origin + " pushed " + c.id() +
                             " with hash " + base64_encode(pushed) + ", stored hash " + base64_encode(stored) + "\n";
    std::cerr << line << std::flush;
}

struct Parsed {
    std::size_t index = 0;  // place in the request
    PreparedChange prepared;
};

}  // namespace

SyncService::SyncService(Store& store, const Catalogue& catalogue, std::function<std::uint64_t()> now_millis)
    : store_(store), catalogue_(catalogue), now_millis_(std::move(now_millis)) {}

PushOutcome SyncService::push(const Caller& caller, nlohmann::json body) {
    require_role(caller, protocol::Role::replica);
    // Counted before the request is taken out of `body`: a refused batch
    // must not cost a second parsed copy of itself.
    if (const auto changes = body.find("changes"); changes != body.end() && changes->is_array() &&
                                                   changes->size() > protocol::max_push_changes) {
        throw TooLargeError("a push holds at most " + std::to_string(protocol::max_push_changes) + " changes, this one " +
                            std::to_string(changes->size()) + "; split it into smaller batches");
    }
    protocol::PushRequest request = protocol::push_request_from_json(std::move(body));
    // The store is the authority on the caller's site and key, not the token.
    const auto enrolled = store_.replica(caller.identity);
    if (!enrolled || enrolled->revoked_at) {
        throw AuthError("replica '" + caller.identity + "' is no longer enrolled on this server; ask the administrator");
    }
    const Caller who{caller.identity, caller.role, enrolled->site};
    std::optional<std::string> introduction;
    if (request.introduction) introduction = checked_introduction(*request.introduction, who, enrolled->public_key);

    PushOutcome outcome;
    auto& results = outcome.response.results;
    results.resize(request.changes.size());
    bool refused_any = false;
    // Parsing, hash and signature before the writer lock (other pushes need
    // not wait for them), on every core: the signature checks are the largest
    // part of a push's work (docs/decisions.md 111).
    std::vector<std::optional<PreparedChange>> ready(request.changes.size());
    std::vector<std::string> parse_errors(request.changes.size());
    auto& envelopes = request.changes.get_ref<nlohmann::json::array_t&>();
    for_each_change_in_parallel(envelopes.size(), [&](std::size_t i) {
        try {
            ready[i] = prepare_change(change_from_json(envelopes[i]), enrolled->public_key);
        } catch (const InputError& e) {
            parse_errors[i] = e.what();
        }
        // Parsed: its JSON tree goes now, so that a batch is never held twice.
        if (ready[i]) envelopes[i] = nullptr;
    });
    std::vector<Parsed> parsed;
    parsed.reserve(ready.size());
    for (std::size_t i = 0; i < ready.size(); ++i) {
        if (ready[i]) {
            parsed.push_back({i, std::move(*ready[i])});
            continue;
        }
        auto& r = results[i];
        r.id = id_of_unparsed(envelopes[i], i);
        r.status = PushStatus::refused;
        r.reason = Refusal::malformed;
        r.message = malformed_message(r.id, parse_errors[i]);
        outcome.refusals.push_back(Refusal::malformed);
        refused_any = true;
        envelopes[i] = nullptr;
    }
    ready.clear();
    // The client may send its changes in any order; the chain needs them by seq.
    std::stable_sort(parsed.begin(), parsed.end(),
                     [](const Parsed& a, const Parsed& b) { return a.prepared.change.seq < b.prepared.change.seq; });

    std::set<std::string> erased_in_batch;
    for (const auto& p : parsed) {
        if (p.prepared.change.op(field_erased)) erased_in_batch.insert(p.prepared.change.record);
    }

    auto tx = store_.begin_append();
    const PushContext ctx{who, enrolled->public_key, catalogue_, now_millis_(), erased_in_batch};
    for (const auto& [index, prepared] : parsed) {
        const Change& change = prepared.change;
        auto& r = results[index];
        r.id = change.id();
        const ChangeVerdict v = check_pushed_change(prepared, *tx, ctx, /*chain_checks=*/!refused_any);
        switch (v.kind) {
            case ChangeVerdict::Kind::refused:
                r.status = PushStatus::refused;
                r.reason = v.reason;
                r.message = v.message;
                outcome.refusals.push_back(*v.reason);
                refused_any = true;
                if (v.reason == Refusal::equivocation && v.stored_hash) log_equivocation(change, v.hash, *v.stored_hash);
                break;
            case ChangeVerdict::Kind::duplicate:
                r.status = PushStatus::duplicate;
                r.server_seq = v.server_seq;
                break;
            case ChangeVerdict::Kind::fresh:
                // Once the batch is refused nothing more is appended; the
                // later changes are still checked so that all faults show.
                if (refused_any) {
                    r.status = PushStatus::not_stored;
                } else {
                    r.status = PushStatus::accepted;
                    r.server_seq = tx->append(change, prepared.hash, envelope_text(change, /*with_ct=*/true));
                }
                break;
        }
    }

    if (refused_any) {
        // Nothing of the batch is stored: tx rolls back when it goes.
        for (auto& r : results) {
            if (r.status == PushStatus::refused) continue;
            r.status = PushStatus::not_stored;
            r.server_seq = 0;
        }
        outcome.response.stored = false;
        return outcome;
    }
    if (introduction) tx->put_introduction(who.identity, *introduction);
    outcome.purged = tx->purged_ciphertexts();
    tx->commit();
    outcome.response.stored = true;
    for (const auto& r : results) {
        if (r.status == PushStatus::accepted) ++outcome.accepted;
        if (r.status == PushStatus::duplicate) ++outcome.duplicates;
    }
    return outcome;
}

std::string SyncService::pull(const Caller& caller, std::uint64_t since, std::size_t limit) {
    require_role(caller, protocol::Role::replica);
    if (limit == 0 || limit > protocol::max_pull_limit) {
        throw InputError("'limit' must be between 1 and " + std::to_string(protocol::max_pull_limit));
    }
    if (since > static_cast<std::uint64_t>(INT64_MAX)) throw InputError("'since' is out of range; pull from 0 or a cursor the server gave");
    const PullPage page = store_.read_site(caller.site, caller.identity, since, limit, protocol::pull_page_soft_bytes);
    // Read after the page: every change in it was committed together with,
    // or after, its origin's introduction, so the introduction is here too.
    const std::vector<std::string> introductions = store_.introductions(caller.site);

    std::size_t size = 64;
    for (const auto& e : page.entries) size += e.envelope.size() + 1;
    for (const auto& i : introductions) size += i.size() + 1;
    std::string out;
    out.reserve(size);
    // Stored envelopes are spliced in as they are: they were serialised by
    // change_to_json when accepted, and re-encoding them costs time for nothing.
    out += "{\"changes\":[";
    for (std::size_t i = 0; i < page.entries.size(); ++i) {
        if (i) out += ',';
        out += page.entries[i].envelope;
    }
    out += "],\"introductions\":[";
    for (std::size_t i = 0; i < introductions.size(); ++i) {
        if (i) out += ',';
        out += introductions[i];
    }
    out += "],\"next\":" + std::to_string(page.next) + ",\"more\":" + (page.more ? "true" : "false") + "}";
    return out;
}

}  // namespace kim::server
