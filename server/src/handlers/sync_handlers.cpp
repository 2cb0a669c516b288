// POST /v1/push and GET /v1/pull (docs/protocol.md "Push", "Pull"). The
// SyncService checks the caller's role; these handlers turn HTTP into its
// calls and its answers into HTTP.
#include <cstdint>
#include <string>

#include "auth/auth_service.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "http/metrics.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "kim/shared/protocol.hpp"
#include "sync/sync_service.hpp"

namespace kim::server::http {

namespace {

Response push(AuthService& auth, SyncService& sync, Metrics& metrics, const Request& request) {
    const Caller caller = authenticated_caller(auth, request);
    nlohmann::json body = json_body(request, "the push request");
    // More than max_push_changes: TooLargeError, which the router answers 413.
    const PushOutcome outcome = sync.push(caller, std::move(body));
    metrics.count_push(outcome.response.stored, outcome.accepted, outcome.refusals);
    metrics.count_purged(outcome.purged);
    // 422's body is the push response itself, exactly as for 200, so that a
    // client reads both with push_response_from_json; the status says `batch_refused`.
    return json_response(outcome.response.stored ? 200 : 422, protocol::to_json(outcome.response));
}

Response pull(AuthService& auth, SyncService& sync, const Request& request) {
    const Caller caller = authenticated_caller(auth, request);
    const auto parameters = parse_query(request.query, {"since", "limit"});
    const std::uint64_t since = query_number(parameters, "since", 0, 0, INT64_MAX);  // cursors are SQLite integers
    const std::uint64_t limit =
        query_number(parameters, "limit", protocol::default_pull_limit, 1, protocol::max_pull_limit);
    Response response;
    response.body = sync.pull(caller, since, static_cast<std::size_t>(limit));
    return response;
}

}  // namespace

void add_sync_routes(Router& router, AuthService& auth, SyncService& sync, Metrics& metrics) {
    // The token is checked on the header, before up to 16 MiB of body are
    // read from a caller who may not push at all; push() checks it again.
    router.add(
        "POST", protocol::path_push,
        [&auth, &sync, &metrics](const Request& request) { return push(auth, sync, metrics, request); },
        RouteOptions{protocol::max_request_body_bytes,
                     [&auth](const Request& head) { static_cast<void>(authenticated_caller(auth, head)); }});
    router.add("GET", protocol::path_pull,
               [&auth, &sync](const Request& request) { return pull(auth, sync, request); });
}

}  // namespace kim::server::http
