// A deliberately plain HTTP/1.1 client on POSIX sockets for the integration
// tests: it sends exactly the bytes a test asks for (malformed, oversized,
// truncated, slow), independent of the client code under test.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kim::test {

struct HttpResponse {
    int status = 0;  // 0: the connection closed without an answer
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;

    nlohmann::json json() const;  // throws with the body when it is not JSON
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request on a fresh connection to 127.0.0.1:port (Connection: close);
// Content-Length is added for a body.
HttpResponse http_request(int port, std::string_view method, std::string_view target, std::string_view body = "",
                          const Headers& headers = {}, int timeout_ms = 30'000);
// Connects to 127.0.0.1:port; -1 if refused.
int connect_loopback(int port);
// Sends `bytes` on a fresh connection and reads until the server closes it
// or `timeout_ms` passes; returns what arrived.
std::string raw_exchange(int port, std::string_view bytes, int timeout_ms);
// Parses what a server sent (status line, headers, body by Content-Length).
HttpResponse parse_response(const std::string& raw);

}  // namespace kim::test
