// POST /v1/auth/challenge and POST /v1/auth/token (docs/protocol.md
// "Authentication"). No token needed: these are how a caller gets one.
#include <cstddef>

#include "auth/auth_service.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "http/router.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server::http {

namespace {
// An identity, a challenge and a signature: a few hundred bytes. Anyone may
// call these routes, so a larger body is refused before it is read.
constexpr std::size_t auth_body_limit = 16 * 1024;
}  // namespace

void add_auth_routes(Router& router, AuthService& auth) {
    router.add(
        "POST", protocol::path_challenge,
        [&auth](const Request& request) {
            const auto message = protocol::challenge_request_from_json(json_body(request, "the challenge request"));
            return json_response(200, protocol::to_json(auth.challenge(message)));
        },
        RouteOptions{auth_body_limit, {}});
    router.add(
        "POST", protocol::path_token,
        [&auth](const Request& request) {
            const auto message = protocol::token_request_from_json(json_body(request, "the token request"));
            return json_response(200, protocol::to_json(auth.token(message)));
        },
        RouteOptions{auth_body_limit, {}});
}

}  // namespace kim::server::http
