// `kim-audit verify` over the network (verify_server.hpp): the next page is
// fetched while the current one is verified, so the network and the
// signature checks overlap.
#include "kim/audit/verify_server.hpp"

#include <algorithm>
#include <future>

#include "audit_client.hpp"
#include "http_client.hpp"
#include "kim/audit/verifier.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/errors.hpp"

namespace kim::audit {

namespace {

std::vector<Checkpoint> checkpoints_to_check(client::ServerSession& session) {
    // A fresh checkpoint first, then the list: every checkpoint is then at
    // or below the log's length when the log is read, so one beyond it
    // means the log shrank. The fresh one also gives this run a signed
    // statement about (nearly) the whole log it verifies.
    const Checkpoint fresh = request_checkpoint(session);
    std::vector<Checkpoint> list = fetch_checkpoints(session).checkpoints;
    const bool listed = std::any_of(list.begin(), list.end(), [&](const Checkpoint& c) {
        return c.server_seq == fresh.server_seq && c.chain == fresh.chain && c.time == fresh.time && c.sig == fresh.sig;
    });
    if (!listed) list.push_back(fresh);
    return list;
}

Report verify_with(client::ServerSession& session, const VerifyOptions& o, std::optional<AuditState> previous) {
    session.authenticate();
    Verifier verifier(fetch_keys(session), std::move(previous),
                      VerifierOptions{.threads = o.threads, .incremental = !o.full});
    verifier.add_checkpoints(checkpoints_to_check(session));

    const std::size_t limit =
        std::clamp<std::size_t>(o.page_limit == 0 ? protocol::max_audit_log_limit : o.page_limit, 1,
                                protocol::max_audit_log_limit);
    const auto fetch = [&session, limit](std::uint64_t since) { return fetch_log_page(session, since, limit); };
    std::uint64_t since = verifier.start_after();
    std::future<protocol::AuditLogPage> next = std::async(std::launch::async, fetch, since);
    VerifyProgress progress;
    for (;;) {
        const protocol::AuditLogPage page = next.get();
        if (page.more) {
            if (page.entries.empty() || page.next <= since) {
                throw Error("the server at " + session.server() + " sent a page of its log after server seq " +
                            std::to_string(since) + " that does not advance; it may be a different version: update both");
            }
            next = std::async(std::launch::async, fetch, page.next);
        }
        verifier.add_entries(page.entries);
        progress.verified += page.entries.size();
        progress.last_seq = page.last_seq;
        if (o.progress) o.progress(progress);
        if (!page.more) break;
        since = page.next;
    }
    Report report = verifier.finish(progress.last_seq);
    if (report.ok() && o.state_file) save_state(*o.state_file, verifier.state());
    return report;
}

}  // namespace

Report verify_server(const AuditorKey& key, const VerifyOptions& o) {
    const client::ServerUrl url = client::parse_server_url(o.server);
    // Read before any request: a damaged state file stops the run at once.
    std::optional<AuditState> previous = o.state_file ? load_state(*o.state_file) : std::nullopt;
    client::HttpClientOptions http;
    http.connection.ca_file = o.ca_file;
    http.connection.connect_timeout = o.connect_timeout;
    http.connection.request_timeout = o.request_timeout;
    try {
        client::HttpClient transport(url, http);
        client::ServerSession session(transport, auditor_credentials(key));
        Report report = verify_with(session, o, std::move(previous));
        report.server = url.text();
        return report;
    } catch (const client::UnreachableError& e) {
        // Its own message speaks of a replica's outbox.
        throw Error("cannot reach the server at " + e.server() + ": " + e.reason() +
                    "; nothing was verified: run `kim-audit verify` again when it can be reached");
    }
}

}  // namespace kim::audit
