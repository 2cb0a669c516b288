// Challenge–response with the caller's Ed25519 key, and the short-lived
// bearer tokens it yields (identity, role, site, expiry; MAC'd with the
// server's token secret). See docs/protocol.md "Authentication".
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "../store/store.hpp"
#include "caller.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server {

class AuthService {
public:
    // Tokens live `token_lifetime_seconds` (`serve --token-lifetime`).
    AuthService(Store& store, std::function<std::int64_t()> now_seconds = system_seconds,
                std::int64_t token_lifetime_seconds = protocol::token_lifetime_seconds);
    ~AuthService();
    AuthService(const AuthService&) = delete;
    AuthService& operator=(const AuthService&) = delete;

    // Thread-safe. A fresh single-use challenge; kept for its lifetime only.
    // InputError when the identity is not a well-formed name; BusyError
    // (auth_errors.hpp, HTTP 503) while too many challenges are outstanding.
    protocol::ChallengeResponse challenge(const protocol::ChallengeRequest& request);
    // AuthError (one message for every reason, so that it reveals nothing
    // about who is enrolled) unless the signature answers a live challenge
    // with the key of an enrolled, unrevoked identity.
    protocol::TokenResponse token(const protocol::TokenRequest& request);
    // Checks an `Authorization` header value ("Bearer <token>"): MAC, expiry,
    // and that the identity is still enrolled and not revoked. AuthError otherwise.
    Caller authenticate(std::string_view authorization_header);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace kim::server
