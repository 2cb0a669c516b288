// Talking to the server as one enrolled identity (a replica, or an auditor):
// the bearer token from challenge–response, requests that carry it, and the
// server's error answers turned into kim errors that say what to do.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kim/shared/crypto.hpp"
#include "kim/shared/protocol.hpp"
#include "transport.hpp"

namespace kim::client {

// Who signs in, and the words the errors use for it. The session holds no
// key: `sign` answers the challenge (a replica's key, an auditor's key file).
struct Credentials {
    std::string identity;
    protocol::Role role = protocol::Role::replica;
    // Replicas: the site the server must have enrolled them for (changes
    // never cross sites). Empty for the other roles.
    std::string site{};
    // For messages: "replica", "auditor"; the program, "kim", "kim-audit".
    std::string noun{};
    std::string program{};
    // How an administrator enrols this identity, said when the server does
    // not accept it ("An administrator enrols it with `kim-server …`").
    std::string enrol_hint{};
    // What to do after a server error that is not the caller's fault
    // ("nothing is lost here: run `kim sync` again later").
    std::string retry_hint{};
    // Signs a protocol::auth_message.
    std::function<crypto::Signature(std::string_view message)> sign{};
};

class ServerSession {
public:
    ServerSession(Transport& transport, Credentials credentials)
        : transport_(transport), credentials_(std::move(credentials)) {}

    // Challenge–response with the identity's key. StateError when the server
    // does not accept it (not enrolled, revoked, another key, role or site).
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
    const Credentials& credentials() const { return credentials_; }

private:
    HttpResponse post(std::string_view target, const nlohmann::json& body, bool repeatable = true);
    [[noreturn]] void not_accepted(const std::string& detail) const;

    Transport& transport_;
    Credentials credentials_;
    std::string token_;
};

}  // namespace kim::client
