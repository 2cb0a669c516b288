// Pushing the outbox: batches under the server's limits, acknowledgements
// recorded per stored batch, refusals reported, never anything deleted.
#include <algorithm>
#include <future>
#include <system_error>
#include <unordered_map>

#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "sync_phases.hpp"

namespace kim::client {

using nlohmann::json;

namespace {

// Room for the request's own keys and the introduction around the changes.
constexpr std::size_t request_slack_bytes = 64 * 1024;

// The push request of docs/protocol.md, spliced from the envelopes' text
// (the keys in the order nlohmann would write them).
std::string push_body(const std::vector<Replica::OutgoingChange>& batch, const std::string& introduction) {
    std::size_t size = 32 + introduction.size();
    for (const auto& c : batch) size += c.envelope.size() + 1;
    std::string body;
    body.reserve(size);
    body += "{\"changes\":[";
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (i) body += ',';
        body += batch[i].envelope;
    }
    body += "],\"introduction\":";
    body += introduction;
    body += '}';
    return body;
}

protocol::PushResponse parse_push_response(ServerSession& session, const HttpResponse& r) {
    try {
        return protocol::push_response_from_json(session.parse(r, "the server's answer to a push"));
    } catch (const InputError& e) {
        throw Error("the server at " + session.server() + " answered a push with something that is not protocol v1: " + e.what());
    }
}

// A 422 carries the push response; the refused changes are what a person
// needs to see. A server that sent only an error body still gets heard.
std::vector<RefusedChange> refusals_of(ServerSession& session, const HttpResponse& r) {
    std::vector<RefusedChange> out;
    try {
        for (auto& result : parse_push_response(session, r).results) {
            if (result.status == protocol::PushStatus::refused) out.push_back({result.id, result.reason, result.message});
        }
    } catch (const Error&) {
    }
    if (out.empty()) {
        std::string message = "the server refused the batch without naming a change";
        try {
            const auto body = protocol::error_body_from_json(session.parse(r, "the server's answer to a push"));
            message = body.message.substr(0, 1000);
        } catch (const Error&) {
        }
        out.push_back({"", std::nullopt, message});
    }
    return out;
}

}  // namespace

void push_outbox(ServerSession& session, Replica& replica, const SyncOptions& options, SyncReport& report) {
    std::size_t max_changes = std::clamp<std::size_t>(options.push_batch_changes, 1, protocol::max_push_changes);
    std::size_t max_bytes = std::clamp<std::size_t>(options.push_batch_bytes, 1, protocol::max_request_body_bytes - request_slack_bytes);
    const std::string introduction = replica.introduction().dump();
    SyncProgress progress;
    progress.phase = SyncProgress::Phase::push;
    progress.to_push = replica.sync_state().outbox;

    std::vector<Replica::OutgoingChange> batch = replica.outbox(max_changes, max_bytes);
    while (!batch.empty()) {
        if (options.stop_requested && options.stop_requested()) {
            report.stopped = true;
            return;
        }
        const std::uint64_t last_seq = batch.back().seq;
        std::vector<std::string> ids;
        ids.reserve(batch.size());
        for (const auto& c : batch) ids.push_back(change_id(replica.replica_id(), c.seq));
        const std::string& first = ids.front();
        std::string body = push_body(batch, introduction);
        if (body.size() > protocol::max_request_body_bytes && ids.size() == 1) {
            throw Error("change " + first + " is " + std::to_string(body.size() >> 20) +
                        " MiB as JSON, more than the server takes in one request (" +
                        std::to_string(protocol::max_request_body_bytes >> 20) + " MiB); it cannot be pushed");
        }
        // The next batch is read from the replica while this one travels and
        // is stored: the two sides work at once instead of in turn. This
        // thread does not touch the replica until it has the batch (a future
        // from std::async waits for it when it goes, also on an error).
        std::future<std::vector<Replica::OutgoingChange>> next;
        if (progress.pushed + batch.size() < progress.to_push) {
            try {
                next = std::async(std::launch::async, [&replica, max_changes, max_bytes, last_seq] {
                    return replica.outbox(max_changes, max_bytes, last_seq);
                });
            } catch (const std::system_error&) {
                // No thread to be had: the batch is read after the answer, as before.
            }
        }
        batch.clear();
        const HttpResponse r = session.send("POST", std::string(protocol::path_push), std::move(body));
        if (r.status == 413 && ids.size() > 1) {
            // A server with tighter limits than protocol v1's: smaller batches.
            if (next.valid()) next.wait();
            max_changes = std::max<std::size_t>(1, ids.size() / 2);
            max_bytes = std::max<std::size_t>(1, max_bytes / 2);
            batch = replica.outbox(max_changes, max_bytes);
            continue;
        }
        if (r.status == 422) {
            report.refused = refusals_of(session, r);
            return;
        }
        if (r.status != 200) session.fail(r, "the push of changes " + first + " to " + ids.back());

        const protocol::PushResponse response = parse_push_response(session, r);
        std::unordered_map<std::string, const protocol::PushResult*> results;
        for (const auto& res : response.results) results.emplace(res.id, &res);
        std::size_t accepted = 0;
        std::size_t duplicates = 0;
        for (const auto& id : ids) {
            const auto it = results.find(id);
            const bool stored = response.stored && it != results.end() &&
                                (it->second->status == protocol::PushStatus::accepted ||
                                 it->second->status == protocol::PushStatus::duplicate);
            if (!stored) {
                // Acknowledging a change the server did not confirm could lose
                // it: stop, keep it in the outbox.
                throw Error("the server at " + session.server() + " answered the push without storing change " + id +
                            "; it stays in the outbox. Run `kim sync` again; tell the server's administrator if this repeats");
            }
            (it->second->status == protocol::PushStatus::accepted ? accepted : duplicates) += 1;
        }
        // Acknowledged first: the server has stored the batch, whatever
        // reading the next one may throw.
        if (next.valid()) next.wait();
        replica.acknowledge_pushed(last_seq);
        if (next.valid()) batch = next.get();
        report.pushed += accepted;
        report.push_duplicates += duplicates;
        ++report.push_batches;
        progress.pushed += ids.size();
        progress.batches = report.push_batches;
        if (options.progress) options.progress(progress);
        // Written meanwhile (another kim process), or the last batch: read again.
        if (batch.empty()) batch = replica.outbox(max_changes, max_bytes);
    }
}

}  // namespace kim::client
