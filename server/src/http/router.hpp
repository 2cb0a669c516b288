// Maps method and path to a handler, and every failure to the status and
// error body of docs/protocol.md: unknown path 404, wrong method 405 with
// Allow, a `/vN/` path of another version 400 unsupported_protocol, kim's
// exceptions to their statuses, anything else 500 `internal` (logged).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_message.hpp"

namespace kim::server::http {

using Handler = std::function<Response(const Request&)>;
// Runs on the request's header alone (no body yet) and throws to refuse it,
// e.g. AuthError for a missing or invalid token.
using HeaderCheck = std::function<void(const Request&)>;

// The body limit of every request whose route does not declare a larger
// one: GET routes, unknown paths, wrong methods (docs/protocol.md "Limits and timeouts").
inline constexpr std::size_t small_body_limit = 16 * 1024;

// What a route declares besides its handler; the session applies both after
// the header and before it reads the body.
struct RouteOptions {
    std::size_t body_limit = small_body_limit;
    HeaderCheck before_body;  // empty: none
};

class Router {
public:
    // Routes are added before the server starts; `handle` may then run on
    // several threads at once (it only reads the table).
    void add(std::string_view method, std::string_view path, Handler handler, RouteOptions options = {});

    // The largest body the request to `method` `path` may carry: the route's
    // limit, small_body_limit for anything that is not a route.
    std::size_t body_limit(std::string_view method, std::string_view path) const;

    // Runs the route's header check on `head` (a request without its body):
    // its refusal as an error response (the same mapping as handle()), or
    // nothing when the body should be read. Routing errors (404, 405, another
    // version) are left to handle(): their bodies are small anyway.
    std::optional<Response> check_before_body(const Request& head) const;

    // Never throws for a handler's exception: it becomes an error response.
    Response handle(const Request& request) const;

    // The path itself when it is a route, else "other": the bounded label set
    // for metrics.
    std::string_view route_label(std::string_view path) const;

private:
    struct Method {
        std::string name;
        Handler handler;
        RouteOptions options;
    };
    struct Route {
        std::string path;
        std::vector<Method> methods;
    };
    const Route* find(std::string_view path) const;
    const Method* find(std::string_view method, std::string_view path) const;

    std::vector<Route> routes_;
};

// The error response for the exception in flight (call inside a catch block):
// InputError 400 (its TooLargeError 413), AuthError 401, PermissionError 403,
// NotFoundError 404, StateError 409, TooManyAttemptsError 429 (with
// Retry-After), BusyError 503, anything else 500
// (logged with `context`).
Response response_for_current_exception(std::string_view context);

}  // namespace kim::server::http
