// GET /v1/audit/keys, GET /v1/audit/log, GET and POST /v1/audit/checkpoints
// (docs/protocol.md "Audit"). The AuditService checks the auditor role;
// these handlers turn HTTP into its calls and its answers into HTTP.
#include <cstdint>
#include <string>

#include "audit/audit_service.hpp"
#include "auth/auth_service.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::server::http {

namespace {

Response keys(AuthService& auth, AuditService& audit, const Request& request) {
    const Caller caller = authenticated_caller(auth, request);
    static_cast<void>(parse_query(request.query, {}));
    return json_response(200, protocol::to_json(audit.keys(caller)));
}

Response log(AuthService& auth, AuditService& audit, const Request& request) {
    const Caller caller = authenticated_caller(auth, request);
    const auto parameters = parse_query(request.query, {"since", "limit", "ciphertexts"});
    const std::uint64_t since = query_number(parameters, "since", 0, 0, INT64_MAX);  // server seqs are SQLite integers
    const std::uint64_t limit =
        query_number(parameters, "limit", protocol::default_audit_log_limit, 1, protocol::max_audit_log_limit);
    const bool ciphertexts = query_number(parameters, "ciphertexts", 0, 0, 1) == 1;
    Response response;
    response.body = audit.log(caller, since, static_cast<std::size_t>(limit), ciphertexts);
    return response;
}

Response checkpoints(AuthService& auth, AuditService& audit, const Request& request) {
    const Caller caller = authenticated_caller(auth, request);
    static_cast<void>(parse_query(request.query, {}));
    return json_response(200, protocol::to_json(audit.checkpoints(caller)));
}

// POST: the request says nothing but "sign now". An empty body, or `{}` for
// clients that always send JSON; anything else is a mistake worth naming.
Response checkpoint_now(AuthService& auth, AuditService& audit, const Request& request) {
    const Caller caller = authenticated_caller(auth, request);
    static_cast<void>(parse_query(request.query, {}));
    if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
        const nlohmann::json body = parse_untrusted_json(request.body, "the checkpoint request");
        if (!body.is_object() || !body.empty()) {
            throw InputError("a checkpoint request carries no parameters: send an empty body (or {})");
        }
    }
    return json_response(200, kim::to_json(audit.checkpoint_now(caller)));
}

}  // namespace

void add_audit_routes(Router& router, AuthService& auth, AuditService& audit) {
    router.add("GET", protocol::path_audit_keys,
               [&auth, &audit](const Request& request) { return keys(auth, audit, request); });
    router.add("GET", protocol::path_audit_log,
               [&auth, &audit](const Request& request) { return log(auth, audit, request); });
    router.add("GET", protocol::path_audit_checkpoints,
               [&auth, &audit](const Request& request) { return checkpoints(auth, audit, request); });
    router.add("POST", protocol::path_audit_checkpoints,
               [&auth, &audit](const Request& request) { return checkpoint_now(auth, audit, request); });
}

}  // namespace kim::server::http
