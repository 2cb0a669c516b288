// Encoding and checking the bearer tokens.
#include "token.hpp"

#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::server {

namespace {

constexpr std::string_view token_prefix = "kim1.";

[[noreturn]] void malformed() {
    throw AuthError("the access token is malformed; request a new one (POST /v1/auth/challenge, then /v1/auth/token)");
}

}  // namespace

std::string encode_token(const TokenClaims& claims, const Key32& secret) {
    nlohmann::json payload{{"sub", claims.subject}, {"role", protocol::to_string(claims.role)}, {"exp", claims.expires_at}};
    if (!claims.site.empty()) payload["site"] = claims.site;
    const std::string bytes = payload.dump();
    const Hash32 tag = crypto::mac(secret, as_bytes(bytes));
    return std::string(token_prefix) + base64_encode(as_bytes(bytes)) + "." + base64_encode(tag);
}

TokenClaims decode_token(std::string_view token, const Key32& secret, std::int64_t now_seconds) {
    if (token.size() > max_token_bytes || !token.starts_with(token_prefix)) malformed();
    token.remove_prefix(token_prefix.size());
    const auto dot = token.find('.');
    if (dot == std::string_view::npos) malformed();
    const auto payload = base64_decode(token.substr(0, dot));
    const auto tag = base64_decode_fixed<32>(token.substr(dot + 1));
    if (!payload || !tag) malformed();
    // The MAC first: nothing of an unauthenticated payload is looked at.
    if (!crypto::mac_verify(secret, *payload, *tag)) {
        throw AuthError("the access token was not issued by this server (forged or altered); request a new one");
    }
    TokenClaims c;
    try {
        const auto j = parse_untrusted_json(to_string(*payload), "the access token", 2);
        for (const auto& [key, _] : j.items()) {
            if (key != "sub" && key != "role" && key != "site" && key != "exp") malformed();
        }
        c.subject = j.at("sub").get<std::string>();
        c.role = protocol::role_from_string(j.at("role").get<std::string>());
        if (j.contains("site")) c.site = j.at("site").get<std::string>();
        if (!j.at("exp").is_number_integer()) malformed();
        c.expires_at = j.at("exp").get<std::int64_t>();
    } catch (const nlohmann::json::exception&) {
        malformed();
    } catch (const InputError&) {
        malformed();
    }
    if (!is_valid_name(c.subject)) malformed();
    if (now_seconds >= c.expires_at) {
        // The lifetime is the server operator's (`serve --token-lifetime`), so it is not named here.
        throw AuthError("the access token has expired; request a new one (POST /v1/auth/challenge, then "
                        "/v1/auth/token)");
    }
    return c;
}

}  // namespace kim::server
