// What several endpoints share: reading a JSON body and proving the caller.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "auth/auth_service.hpp"
#include "auth/dashboard_sessions.hpp"
#include "auth/caller.hpp"
#include "http/http_message.hpp"

namespace kim::server::http {

// The body as JSON, depth-bounded; InputError (400) naming `what` when it is
// empty or not JSON. The message never quotes the body.
nlohmann::json json_body(const Request& request, std::string_view what);

// The caller proven by the request's bearer token; AuthError (401) when the
// header is missing or the token does not hold.
Caller authenticated_caller(AuthService& auth, const Request& request);

// For the routes that honour the dashboard's cookie (/v1/stats): the bearer
// token when the request has an Authorization header, else the live session
// its `kim_session` cookie names (a coordinator); AuthError when neither holds.
Caller caller_by_token_or_session(AuthService& auth, DashboardSessions& sessions, const Request& request);

}  // namespace kim::server::http
