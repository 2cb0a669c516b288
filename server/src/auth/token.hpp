// The bearer token of protocol v1: "kim1." + base64(payload JSON) + "." +
// base64(HMAC-SHA-512-256 of the payload bytes under the token secret).
// The payload is {"sub", "role", "site" (replicas only), "exp"}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kim/shared/bytes.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server {

struct TokenClaims {
    std::string subject;
    protocol::Role role = protocol::Role::replica;
    std::string site;  // replicas only
    std::int64_t expires_at = 0;  // seconds since 1970
};

// Longer texts are refused before any decoding.
inline constexpr std::size_t max_token_bytes = 1024;

std::string encode_token(const TokenClaims& claims, const Key32& secret);
// AuthError saying what is wrong (malformed, forged, expired); such a message
// reveals nothing, since the caller holds the token already.
TokenClaims decode_token(std::string_view token, const Key32& secret, std::int64_t now_seconds);

}  // namespace kim::server
