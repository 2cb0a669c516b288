// `kim-audit verify` over the network (verify_server.hpp): the next page is
// fetched while the current one is verified, so the network and the
// signature checks overlap.
#include "kim/audit/verify_server.hpp"

#include <algorithm>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "audit_client.hpp"
#include "log_page.hpp"
#include "http_client.hpp"
#include "kim/audit/verifier.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/errors.hpp"

namespace kim::audit {

namespace {

// The transport of the run: a server that answers the sign-in's challenge
// with 404 or 501 does not serve kimsync's protocol at all (a wrong URL, a
// web server in front): said so instead of a bare HTTP status.
class SignInTransport final : public client::Transport {
public:
    explicit SignInTransport(client::Transport& inner) : inner_(inner) {}
    client::HttpResponse send(const client::HttpRequest& request) override {
        client::HttpResponse r = inner_.send(request);
        if (request.target == protocol::path_challenge && (r.status == 404 || r.status == 405 || r.status == 501)) {
            throw Error("the server at " + server() + " answered the sign-in with HTTP " + std::to_string(r.status) +
                        ": it does not look like a kimsync server (protocol v" + std::to_string(protocol::version) +
                        "); check the --server URL");
        }
        return r;
    }
    const std::string& server() const override { return inner_.server(); }

private:
    client::Transport& inner_;
};

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

struct Verified {
    Report report;
    std::optional<AuditState> state;  // to save: only after a run without failures
};

Verified verify_with(client::ServerSession& session, const VerifyOptions& o, std::optional<AuditState> previous) {
    session.authenticate();
    // Checkpoints before the keys: a replica enrolled after the fresh
    // checkpoint has an enrolment time at or after it, and one enrolled
    // before it is in the keys (the state's pins rely on both).
    const std::vector<Checkpoint> checkpoints = checkpoints_to_check(session);
    Verifier verifier(fetch_keys(session), std::move(previous),
                      VerifierOptions{.threads = o.threads, .incremental = !o.full});
    verifier.add_checkpoints(checkpoints);

    const std::size_t limit =
        std::clamp<std::size_t>(o.page_limit == 0 ? protocol::max_audit_log_limit : o.page_limit, 1,
                                protocol::max_audit_log_limit);
    const auto fetch = [&session, limit](std::uint64_t since) { return fetch_log_page(session, since, limit); };
    std::uint64_t since = verifier.start_after();
    std::future<protocol::AuditLogPage> next = std::async(std::launch::async, fetch, since);
    VerifyProgress progress;
    std::optional<std::uint64_t> last_seq;
    for (;;) {
        const protocol::AuditLogPage page = next.get();
        check_log_page(session.server(), page, since, limit, last_seq);
        last_seq = page.last_seq;
        if (page.more) next = std::async(std::launch::async, fetch, page.next);
        verifier.add_entries(page.entries);  // on a throw, the future of std::async waits for the fetch
        progress.verified += page.entries.size();
        progress.last_seq = page.last_seq;
        if (o.progress) o.progress(progress);
        if (!page.more) break;
        since = page.next;
    }
    Verified v;
    v.report = verifier.finish(progress.last_seq);
    if (v.report.ok()) v.state = verifier.state();
    return v;
}

}  // namespace

Report verify_server(const AuditorKey& key, const VerifyOptions& o) {
    const client::ServerUrl url = client::parse_server_url(o.server);
    // Before any request: a damaged state file, or one that could not be
    // written after the run, stops the run at once, not after minutes.
    std::optional<AuditState> previous;
    if (o.state_file) {
        previous = load_state(*o.state_file);
        check_state_writable(*o.state_file);
    }
    client::HttpClientOptions http;
    http.connection.ca_file = o.ca_file;
    http.connection.connect_timeout = o.connect_timeout;
    http.connection.request_timeout = o.request_timeout;
    Verified v;
    try {
        client::HttpClient transport(url, http);
        SignInTransport sign_in(transport);
        client::ServerSession session(sign_in, auditor_credentials(key));
        v = verify_with(session, o, std::move(previous));
        v.report.server = url.text();
    } catch (const client::UnreachableError& e) {
        // Its own message speaks of a replica's outbox.
        throw Error("cannot reach the server at " + e.server() + ": " + e.reason() +
                    "; nothing was verified: run `kim-audit verify` again when it can be reached");
    }
    // The report first: a state that cannot be saved must not cost it.
    if (o.on_report) o.on_report(v.report);
    if (v.state && o.state_file) {
        try {
            save_state(*o.state_file, *v.state);
        } catch (const Error& e) {
            if (!o.on_report) throw;
            throw Error(std::string(e.what()) + " (the report of this run is above)");
        }
    }
    return v.report;
}

}  // namespace kim::audit
