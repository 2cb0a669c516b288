// Maps method and path to a handler, and every failure to the status and
// error body of docs/protocol.md: unknown path 404, wrong method 405 with
// Allow, a `/vN/` path of another version 400 unsupported_protocol, kim's
// exceptions to their statuses, anything else 500 `internal` (logged).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_message.hpp"

namespace kim::server::http {

using Handler = std::function<Response(const Request&)>;

class Router {
public:
    // Routes are added before the server starts; `handle` may then run on
    // several threads at once (it only reads the table).
    void add(std::string_view method, std::string_view path, Handler handler);

    // Never throws for a handler's exception: it becomes an error response.
    Response handle(const Request& request) const;

    // The path itself when it is a route, else "other": the bounded label set
    // for metrics.
    std::string_view route_label(std::string_view path) const;

private:
    struct Route {
        std::string path;
        std::vector<std::pair<std::string, Handler>> methods;
    };
    const Route* find(std::string_view path) const;

    std::vector<Route> routes_;
};

// The error response for the exception in flight (call inside a catch block):
// InputError 400 (its TooLargeError 413), AuthError 401, PermissionError 403,
// NotFoundError 404, StateError 409, BusyError 503, anything else 500
// (logged with `context`).
Response response_for_current_exception(std::string_view context);

}  // namespace kim::server::http
