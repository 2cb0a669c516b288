// What the sync logic needs from the network: one request, one answer. The
// Beast client implements it; the sync logic itself never sees a socket.
#pragma once

#include <string>

namespace kim::client {

struct HttpRequest {
    std::string method;  // "GET" or "POST"
    std::string target;  // path and query, e.g. "/v1/pull?since=0&limit=500"
    std::string body;    // JSON; empty for GET
    std::string bearer;  // the access token; empty for none
    // Whether the request may be sent a second time when a reused keep-alive
    // connection turns out broken. Not so for the token request: the server
    // may have spent its one-time challenge on the first copy, and would
    // refuse the second as if the replica were not enrolled.
    bool repeatable = true;
};

struct HttpResponse {
    unsigned status = 0;
    std::string body;
};

class Transport {
public:
    virtual ~Transport() = default;
    // Throws UnreachableError when no answer arrives (connection refused or
    // broken, timeout); any HTTP status is an answer.
    virtual HttpResponse send(const HttpRequest& request) = 0;
    // The server's URL, for messages.
    virtual const std::string& server() const = 0;
};

}  // namespace kim::client
