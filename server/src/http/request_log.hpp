// The server's log on stderr: one line per request (method, path without its
// query, status, milliseconds) and one per internal error. Never a body, a
// header value or a token: those may hold personal data or credentials.
#pragma once

#include <string_view>

namespace kim::server::http {

// Writes "2026-11-27T06:10:35Z <text>\n" as one write, so that lines from
// several threads never interleave.
void log_line(std::string_view text);

void log_request(std::string_view method, std::string_view path, unsigned status, double milliseconds);

}  // namespace kim::server::http
