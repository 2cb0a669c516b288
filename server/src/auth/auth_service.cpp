// Challenge–response sign-in and bearer-token checks (docs/protocol.md "Authentication").
#include "auth_service.hpp"

#include <cctype>

#include "challenge_store.hpp"
#include "token.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::server {

namespace {

// One message for every failed sign-in: whether the identity is enrolled,
// revoked or merely mistyped is never revealed.
[[noreturn]] void sign_in_failed() {
    throw AuthError("sign-in failed: the challenge is unknown, used or expired, or the signature does not match an "
                    "enrolled key; request a new challenge and sign it with the key enrolled on this server");
}

// The key and the claims of an identity that may sign in now.
struct Principal {
    crypto::PublicKey key{};
    protocol::Role role = protocol::Role::replica;
    std::string site;
};

std::optional<Principal> principal_of(Store& store, std::string_view identity) {
    if (auto r = store.replica(identity)) {
        if (r->revoked_at) return std::nullopt;
        return Principal{r->public_key, protocol::Role::replica, r->site};
    }
    if (auto u = store.user(identity); u && u->public_key) {
        return Principal{*u->public_key, u->role, ""};
    }
    return std::nullopt;
}

// Whether the token's holder is still enrolled as the token says (a user
// signed in another way, e.g. by password later, needs no key here).
bool still_enrolled(Store& store, const TokenClaims& claims) {
    if (claims.role == protocol::Role::replica) {
        const auto r = store.replica(claims.subject);
        return r && !r->revoked_at && r->site == claims.site;
    }
    const auto u = store.user(claims.subject);
    return u && u->role == claims.role && claims.site.empty();
}

}  // namespace

struct AuthService::Impl {
    Impl(Store& s, std::function<std::int64_t()> clock, std::int64_t lifetime)
        : store(s), now(std::move(clock)), token_lifetime(lifetime) {}
    Store& store;
    std::function<std::int64_t()> now;
    std::int64_t token_lifetime;
    ChallengeStore challenges;
};

AuthService::AuthService(Store& store, std::function<std::int64_t()> now_seconds, std::int64_t token_lifetime_seconds)
    : impl_(std::make_unique<Impl>(store, std::move(now_seconds), token_lifetime_seconds)) {}

AuthService::~AuthService() = default;

protocol::ChallengeResponse AuthService::challenge(const protocol::ChallengeRequest& request) {
    // Only the syntax is checked: any well-formed identity gets a challenge.
    if (!is_valid_name(request.identity)) {
        throw InputError("'identity' must be a replica id or user name: 1-63 of a-z, 0-9 and '-'");
    }
    protocol::ChallengeResponse r;
    r.challenge = impl_->challenges.issue(request.identity, impl_->now());
    r.expires_in = protocol::challenge_lifetime_seconds;
    return r;
}

protocol::TokenResponse AuthService::token(const protocol::TokenRequest& request) {
    const std::int64_t now = impl_->now();
    // Redeemed first, whatever follows: a challenge is good for one attempt only.
    if (!impl_->challenges.redeem(request.challenge, request.identity, now)) sign_in_failed();
    const auto signature = base64_decode_fixed<crypto::signature_size>(request.signature);
    if (!signature) sign_in_failed();
    const auto principal = principal_of(impl_->store, request.identity);
    const std::string message = protocol::auth_message(request.identity, request.challenge);
    // An unknown identity costs the same verification as a known one, so that
    // the answer's timing does not tell who is enrolled.
    const crypto::PublicKey& key = principal ? principal->key : impl_->store.secrets().public_key;
    const bool verified = crypto::verify(key, as_bytes(message), *signature);
    if (!principal || !verified) sign_in_failed();

    TokenClaims claims{request.identity, principal->role, principal->site, now + impl_->token_lifetime};
    protocol::TokenResponse r;
    r.token = encode_token(claims, impl_->store.secrets().token_secret);
    r.identity = claims.subject;
    r.role = claims.role;
    r.site = claims.site;
    r.expires_at = claims.expires_at;
    return r;
}

Caller AuthService::authenticate(std::string_view header) {
    constexpr std::string_view scheme = "bearer ";
    if (header.empty()) {
        throw AuthError("this needs an access token: send 'Authorization: Bearer TOKEN' (from POST /v1/auth/token)");
    }
    // The scheme is case-insensitive (RFC 9110); the token itself is not.
    bool bearer = header.size() > scheme.size();
    for (std::size_t i = 0; bearer && i < scheme.size(); ++i) {
        bearer = static_cast<char>(std::tolower(static_cast<unsigned char>(header[i]))) == scheme[i];
    }
    if (!bearer) throw AuthError("the Authorization header must be 'Bearer TOKEN'");
    std::string_view token = header.substr(scheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);

    const TokenClaims claims = decode_token(token, impl_->store.secrets().token_secret, impl_->now());
    // Checked on every request, so that a revocation takes effect at once.
    if (!still_enrolled(impl_->store, claims)) {
        throw AuthError("the access token is no longer valid: '" + claims.subject +
                        "' was revoked or is no longer enrolled; ask the administrator");
    }
    return Caller{claims.subject, claims.role, claims.site};
}

}  // namespace kim::server
