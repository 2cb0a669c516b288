#include "router.hpp"

#include <exception>
#include <new>

#include "auth/auth_errors.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/protocol.hpp"
#include "request_log.hpp"
#include "sync/sync_errors.hpp"

namespace kim::server::http {

namespace {

// "/v2/push" → "2"; "" when the path does not start with "/vN/" (or is "/vN").
std::string_view version_of(std::string_view path) {
    if (!path.starts_with("/v")) return {};
    std::size_t end = 2;
    while (end < path.size() && path[end] >= '0' && path[end] <= '9') ++end;
    if (end == 2 || (end < path.size() && path[end] != '/')) return {};
    return path.substr(2, end - 2);
}

Response unsupported_protocol(std::string_view asked) {
    const std::string spoken = std::to_string(protocol::version);
    return error_response(400, "unsupported_protocol",
                          "this server speaks sync protocol version " + spoken + " (paths under /v" + spoken +
                              "/), not version " + printable_excerpt(asked, 20) +
                              "; use a kim client of the same release as the server");
}

}  // namespace

void Router::add(std::string_view method, std::string_view path, Handler handler, RouteOptions options) {
    Method entry{std::string(method), std::move(handler), std::move(options)};
    for (auto& route : routes_) {
        if (route.path == path) {
            route.methods.push_back(std::move(entry));
            return;
        }
    }
    routes_.push_back(Route{std::string(path), {}});
    routes_.back().methods.push_back(std::move(entry));
}

const Router::Route* Router::find(std::string_view path) const {
    for (const auto& route : routes_) {
        if (route.path == path) return &route;
    }
    return nullptr;
}

const Router::Method* Router::find(std::string_view method, std::string_view path) const {
    const Route* route = find(path);
    if (!route) return nullptr;
    for (const auto& entry : route->methods) {
        if (entry.name == method) return &entry;
    }
    return nullptr;
}

std::size_t Router::body_limit(std::string_view method, std::string_view path) const {
    const Method* entry = find(method, path);
    return entry ? entry->options.body_limit : small_body_limit;
}

std::optional<Response> Router::check_before_body(const Request& head) const {
    const Method* entry = find(head.method, head.path);
    if (!entry || !entry->options.before_body) return std::nullopt;
    try {
        entry->options.before_body(head);
        return std::nullopt;
    } catch (...) {
        return response_for_current_exception(printable_excerpt(head.method, 16) + " " +
                                              printable_excerpt(head.path, 80));
    }
}

std::string_view Router::route_label(std::string_view path) const {
    const Route* route = find(path);
    return route ? std::string_view(route->path) : std::string_view("other");
}

Response Router::handle(const Request& request) const {
    try {
        const auto version = version_of(request.path);
        if (!version.empty() && version != std::to_string(protocol::version)) return unsupported_protocol(version);

        const Route* route = find(request.path);
        if (!route) {
            return error_response(404, "not_found",
                                  "there is nothing at " + printable_excerpt(request.path, 80) +
                                      "; see docs/protocol.md for the paths of the sync protocol");
        }
        std::string allow;
        for (const auto& method : route->methods) {
            if (method.name == request.method) return method.handler(request);
            allow += (allow.empty() ? "" : ", ") + method.name;
        }
        Response response = error_response(
            405, "method_not_allowed",
            printable_excerpt(request.path, 80) + " does not take " + printable_excerpt(request.method, 16) +
                "; it takes " + allow);
        response.headers.emplace_back("Allow", allow);
        return response;
    } catch (...) {
        return response_for_current_exception(printable_excerpt(request.method, 16) + " " +
                                              printable_excerpt(request.path, 80));
    }
}

Response response_for_current_exception(std::string_view context) {
    try {
        throw;
    } catch (const AuthError& e) {
        Response response = error_response(401, "unauthenticated", e.what());
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    } catch (const PermissionError& e) {
        return error_response(403, "forbidden", e.what());
    } catch (const TooLargeError& e) {  // before InputError, of which it is one
        return error_response(413, "too_large", e.what());
    } catch (const BusyError& e) {
        Response response = error_response(503, "busy", e.what());
        response.headers.emplace_back("Retry-After", "1");
        return response;
    } catch (const TooManyAttemptsError& e) {
        Response response = error_response(429, "too_many_attempts", e.what());
        response.headers.emplace_back("Retry-After", std::to_string(e.retry_after_seconds()));
        return response;
    } catch (const InputError& e) {
        return error_response(400, "bad_request", e.what());
    } catch (const NotFoundError& e) {
        return error_response(404, "not_found", e.what());
    } catch (const StateError& e) {
        return error_response(409, "conflict", e.what());
    } catch (const std::bad_alloc&) {
        log_line("internal error on " + std::string(context) + ": out of memory");
    } catch (const std::exception& e) {
        // The message may help to find the bug; it goes to the log only, the
        // client learns nothing about the server's insides.
        log_line("internal error on " + std::string(context) + ": " + printable_excerpt(e.what(), 300));
    } catch (...) {
        log_line("internal error on " + std::string(context) + ": an exception of unknown type");
    }
    return error_response(500, "internal",
                          "the server failed to handle this request (a bug; it is logged on the server); "
                          "try again, and report it if it persists");
}

}  // namespace kim::server::http
