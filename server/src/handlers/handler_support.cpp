#include "handler_support.hpp"

#include <string>

#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::server::http {

nlohmann::json json_body(const Request& request, std::string_view what) {
    if (request.body.empty()) {
        throw InputError(std::string(what) + " is missing: the request has no body (send JSON)");
    }
    return parse_untrusted_json(request.body, what);
}

Caller authenticated_caller(AuthService& auth, const Request& request) {
    if (request.authorization.empty()) {
        throw AuthError("this request needs a token (Authorization: Bearer TOKEN); get one with "
                        "POST /v1/auth/challenge and POST /v1/auth/token");
    }
    return auth.authenticate(request.authorization);
}

Caller caller_by_token_or_session(AuthService& auth, DashboardSessions& sessions, const Request& request) {
    // A bearer token, when sent, decides alone: a bad token is refused even
    // if a session cookie rides along.
    if (!request.authorization.empty()) return auth.authenticate(request.authorization);
    if (const auto id = cookie_value(request.cookie, session_cookie_name)) {
        // Sessions are started for coordinators only. (Users cannot be removed
        // or change role today; if that comes, check the store here too.)
        if (const auto session = sessions.find(*id)) return Caller{session->name, protocol::Role::coordinator, ""};
        throw AuthError("the dashboard session has ended (8 hours after sign-in, or after 30 minutes unused); "
                        "sign in again");
    }
    throw AuthError("this request needs a token (Authorization: Bearer TOKEN, from POST /v1/auth/token) or the "
                    "dashboard's sign-in (POST /v1/session)");
}

}  // namespace kim::server::http
