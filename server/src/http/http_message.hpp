// The request and response as the router and the handlers see them: plain
// values without Beast, so that the handlers and their tests compile fast and
// never depend on how the bytes travelled (plain TCP or TLS).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kim::server::http {

struct Request {
    std::string method;         // as sent: "GET", "POST", …
    std::string path;           // the target up to '?'
    std::string query;          // the target after '?', empty if none
    std::string authorization;  // the Authorization header, empty if absent
    std::string cookie;         // the Cookie header, empty if absent
    std::string accept;         // the Accept header, empty if absent
    std::string content_type;   // the Content-Type header, empty if absent
    std::string remote_address; // the peer's IP address as text ("127.0.0.1")
    bool secure = false;        // arrived over TLS (cookies get `Secure`)
    std::string body;
};

struct Response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    // Headers besides Content-Type, Content-Length, Connection and Server
    // (which the session sets): Allow, WWW-Authenticate, Set-Cookie,
    // Retry-After, Content-Disposition, the dashboard's security headers.
    std::vector<std::pair<std::string, std::string>> headers;
};

// Splits "/v1/pull?since=3" into path and query.
Request request_for_target(std::string method, std::string_view target);

Response json_response(unsigned status, const nlohmann::json& body);
// The body of every error: {"error": code, "message": text} (docs/protocol.md).
Response error_response(unsigned status, std::string_view code, std::string message);

// A piece of the request (a path, a parameter name) made safe to show in a
// message or a log line: control and non-ASCII bytes escaped, at most
// `max_chars` kept, so that a client cannot forge log lines or flood them.
std::string printable_excerpt(std::string_view text, std::size_t max_chars = 120);

}  // namespace kim::server::http
