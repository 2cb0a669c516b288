// What several endpoints share: reading a JSON body and proving the caller.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "auth/auth_service.hpp"
#include "auth/caller.hpp"
#include "http/http_message.hpp"

namespace kim::server::http {

// The body as JSON, depth-bounded; InputError (400) naming `what` when it is
// empty or not JSON. The message never quotes the body.
nlohmann::json json_body(const Request& request, std::string_view what);

// The caller proven by the request's bearer token; AuthError (401) when the
// header is missing or the token does not hold.
Caller authenticated_caller(AuthService& auth, const Request& request);

}  // namespace kim::server::http
