// One sync: choose the server, authenticate, push the outbox, pull until
// caught up; and the health check behind `kim status`.
#include "kim/client/sync.hpp"

#include <chrono>

#include "http_client.hpp"
#include "server_session.hpp"
#include "sync_phases.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::client {

UnreachableError::UnreachableError(const std::string& server, const std::string& reason)
    : Error("cannot reach the server at " + server + ": " + reason +
            "; your changes stay in the outbox; run `kim sync` again when online"),
      server_(server),
      reason_(reason) {}

bool is_integrity_refusal(protocol::Refusal reason) {
    using R = protocol::Refusal;
    switch (reason) {
        case R::equivocation:
        case R::missing_ciphertext:
        case R::ciphertext_mismatch:
        case R::bad_signature:
        case R::gap:
        case R::broken_chain: return true;
        default: return false;
    }
}

namespace {

// The session signs in with the replica's own key, and its errors speak of
// `kim` and of how a replica is enrolled.
Credentials replica_credentials(Replica& replica) {
    Credentials c;
    c.identity = replica.replica_id();
    c.role = protocol::Role::replica;
    c.site = replica.site();
    c.noun = "replica";
    c.program = "kim";
    c.enrol_hint = "An administrator enrols it with `kim-server --data DIR replica add " + c.identity + " --site " +
                   c.site + " --pubkey KEY` (KEY: the output of `kim pubkey` here)";
    c.retry_hint = "nothing is lost here: run `kim sync` again later";
    c.sign = [&replica](std::string_view message) { return replica.sign_auth(message); };
    return c;
}

}  // namespace

SyncReport sync(Replica& replica, const SyncOptions& options) {
    const SyncState state = replica.sync_state();
    const std::string& chosen = options.server.empty() ? state.server : options.server;
    if (chosen.empty()) {
        throw InputError("no server is set for this replica: set one with `kim config server URL` (or pass --server URL)");
    }
    const ServerUrl url = parse_server_url(chosen);

    HttpClientOptions http;
    http.connection.ca_file = options.ca_file.value_or(state.ca_file);
    http.connection.connect_timeout = options.connect_timeout;
    http.connection.request_timeout = options.request_timeout;
    HttpClient client(url, http);
    ServerSession session(client, replica_credentials(replica));

    SyncReport report;
    report.server = url.text();
    session.authenticate();
    // Only now: a server given for one sync that cannot be reached (or does
    // not know this replica) leaves the state of the configured one alone.
    replica.select_sync_server(url.text());
    if (options.from_start) {
        replica.reset_sync_state();
        if (options.after_reset) options.after_reset();
    }
    push_outbox(session, replica, options, report);
    if (!report.stopped) pull_pages(session, replica, options, report);
    report.outbox_left = replica.sync_state().outbox;
    report.conflicts = replica.conflicts().size();
    if (report.complete()) {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        replica.record_sync_success(std::chrono::duration_cast<std::chrono::seconds>(now).count());
    }
    return report;
}

ServerHealth check_server(std::string_view url_text, const ConnectionOptions& options) {
    try {
        const ServerUrl url = parse_server_url(url_text);
        HttpClientOptions http;
        http.connection = options;
        http.max_response_bytes = 64 * 1024;  // a health answer is a few bytes
        HttpClient client(url, http);
        const HttpResponse r = client.send({"GET", std::string(protocol::path_health), "", "", true});
        if (r.status != 200) return {false, "it answers /healthz with HTTP " + std::to_string(r.status)};
        const auto body = parse_untrusted_json(r.body, "the health answer");
        if (!body.is_object() || body.value("protocol", 0) != protocol::version) {
            return {true, "reachable, but it does not say it speaks protocol v" + std::to_string(protocol::version)};
        }
        return {true, "ok"};
    } catch (const UnreachableError& e) {
        return {false, e.reason()};
    } catch (const Error& e) {
        return {false, e.what()};
    } catch (const nlohmann::json::exception&) {
        return {false, "its health answer is not what a kimsync server sends"};
    }
}

}  // namespace kim::client
