// Talking to the server as this replica: the bearer token from
// challenge–response, requests that carry it, and the server's error answers
// turned into kim errors that say what to do.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kim/client/replica.hpp"
#include "kim/shared/protocol.hpp"
#include "transport.hpp"

namespace kim::client {

class ServerSession {
public:
    ServerSession(Transport& transport, Replica& replica) : transport_(transport), replica_(replica) {}

    // Challenge–response with the replica's key. StateError when the server
    // does not accept this replica (not enrolled, revoked, another key or site).
    void authenticate();
    // Sends with the token (authenticating first if there is none). A 401 —
    // the token expired or the server restarted — authenticates once more
    // and sends again. Any other status is returned to the caller.
    HttpResponse send(std::string method, std::string target, std::string body = {});

    // Throws the kim error for a non-success answer to `doing` ("pushing").
    [[noreturn]] void fail(const HttpResponse& response, std::string_view doing) const;
    // Parses a success answer; kim::Error when it is not JSON (not a kimsync server).
    nlohmann::json parse(const HttpResponse& response, std::string_view what) const;

    const std::string& server() const { return transport_.server(); }

private:
    HttpResponse post(std::string_view target, const nlohmann::json& body);
    [[noreturn]] void not_accepted(const std::string& detail) const;

    Transport& transport_;
    Replica& replica_;
    std::string token_;
};

}  // namespace kim::client
