// Authentication and error answers of the server (docs/protocol.md).
#include "server_session.hpp"

#include "kim/client/sync.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::client {

using nlohmann::json;

namespace {

// The server's own words, bounded; empty when the body is not an error body.
protocol::ErrorBody error_body_of(const HttpResponse& r) {
    try {
        auto body = protocol::error_body_from_json(parse_untrusted_json(r.body, "the server's error answer"));
        if (body.message.size() > 1000) body.message.resize(1000);
        if (body.error.size() > 64) body.error.resize(64);
        return body;
    } catch (const Error&) {
        return {};
    }
}

std::string status_text(const HttpResponse& r, const protocol::ErrorBody& e) {
    std::string s = "HTTP " + std::to_string(r.status);
    if (!e.error.empty()) s += " " + e.error;
    if (!e.message.empty()) s += ": " + e.message;
    return s;
}

}  // namespace

HttpResponse ServerSession::post(std::string_view target, const json& body, bool repeatable) {
    return transport_.send({"POST", std::string(target), body.dump(), "", repeatable});
}

json ServerSession::parse(const HttpResponse& response, std::string_view what) const {
    try {
        return parse_untrusted_json(response.body, what);
    } catch (const InputError& e) {
        throw Error("the server at " + server() + " answered with something that is not protocol v1 (" + e.what() +
                    "); is this URL a kimsync server?");
    }
}

void ServerSession::not_accepted(const std::string& detail) const {
    const Credentials& c = credentials_;
    throw StateError("the server at " + server() + " does not accept " + c.noun + " '" + c.identity + "' (" + detail +
                     "): it is not enrolled there, was revoked, or was enrolled with another key. " + c.enrol_hint);
}

void ServerSession::authenticate() {
    token_.clear();
    const Credentials& who = credentials_;
    const std::string& id = who.identity;
    const HttpResponse c = post(protocol::path_challenge, protocol::to_json(protocol::ChallengeRequest{id}));
    if (c.status != 200) fail(c, "the request for a challenge");
    protocol::ChallengeResponse challenge;
    try {
        challenge = protocol::challenge_response_from_json(parse(c, "the server's challenge"));
    } catch (const InputError& e) {
        throw Error("the server at " + server() + " sent a challenge that is not protocol v1: " + e.what());
    }
    protocol::TokenRequest request{id, challenge.challenge, {}};
    request.signature = base64_encode(who.sign(protocol::auth_message(id, challenge.challenge)));
    // Sent once: a broken connection is then UnreachableError, and the next sync signs in afresh.
    const HttpResponse t = post(protocol::path_token, protocol::to_json(request), /*repeatable=*/false);
    if (t.status == 401) not_accepted(status_text(t, error_body_of(t)));
    if (t.status != 200) fail(t, "the request for a token");
    protocol::TokenResponse token;
    try {
        token = protocol::token_response_from_json(parse(t, "the server's token"));
    } catch (const InputError& e) {
        throw Error("the server at " + server() + " sent a token answer that is not protocol v1: " + e.what());
    }
    if (token.role != who.role || token.identity != id) {
        not_accepted("it knows '" + token.identity + "' as a " + std::string(protocol::to_string(token.role)) +
                     ", not as this " + who.noun);
    }
    if (who.role == protocol::Role::replica && token.site != who.site) {
        throw StateError("the server at " + server() + " enrolled replica '" + id + "' for site '" + token.site +
                         "', but this replica belongs to site '" + who.site +
                         "'; the administrator must enrol it for its own site (changes never cross sites)");
    }
    token_ = std::move(token.token);
}

HttpResponse ServerSession::send(std::string method, std::string target, std::string body) {
    if (token_.empty()) authenticate();
    HttpRequest request{std::move(method), std::move(target), std::move(body), token_, /*repeatable=*/true};
    HttpResponse r = transport_.send(request);
    if (r.status != 401) return r;
    authenticate();  // once: a second 401 is an answer, not an expired token
    request.bearer = token_;
    r = transport_.send(request);
    if (r.status == 401) not_accepted(status_text(r, error_body_of(r)));
    return r;
}

void ServerSession::fail(const HttpResponse& r, std::string_view doing) const {
    const protocol::ErrorBody e = error_body_of(r);
    const std::string what = status_text(r, e);
    const std::string asking = "the server at " + server() + " refused " + std::string(doing) + " (" + what + ")";
    switch (r.status) {
        case 401: not_accepted(what);
        case 403:
            throw StateError(asking + ": " + credentials_.noun + " '" + credentials_.identity +
                             "' is not allowed to do that there");
        case 503:
            throw UnreachableError(server(), "it is busy (" + what + ")");
        default: break;
    }
    if (e.error == "unsupported_protocol") {
        throw StateError(asking + ": it does not speak protocol v" + std::to_string(protocol::version) +
                         " of this " + credentials_.program + "; update " + credentials_.program + " or the server");
    }
    if (r.status >= 500) {
        throw Error("the server at " + server() + " failed while answering " + std::string(doing) + " (" + what +
                    "); " + credentials_.retry_hint + ", and tell its administrator if it persists");
    }
    if (r.status == 400 || r.status == 409) {
        // kim and kim-audit send only well-formed protocol v1 requests: an answer like
        // this one points at a mismatch between the two programs.
        throw Error(asking + "; " + credentials_.program + " and the server may be different versions: update both");
    }
    throw Error(asking);
}

}  // namespace kim::client
