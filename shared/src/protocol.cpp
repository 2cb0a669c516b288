// The sync protocol's names and messages (docs/protocol.md).
#include "kim/shared/protocol.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

#include "kim/shared/errors.hpp"
#include "message_reader.hpp"

namespace kim::protocol {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<Refusal, std::string_view>, 12> refusal_names{{
    {Refusal::malformed, "malformed"},
    {Refusal::wrong_origin, "wrong_origin"},
    {Refusal::wrong_site, "wrong_site"},
    {Refusal::equivocation, "equivocation"},
    {Refusal::unknown_field, "unknown_field"},
    {Refusal::bad_value, "bad_value"},
    {Refusal::missing_ciphertext, "missing_ciphertext"},
    {Refusal::ciphertext_mismatch, "ciphertext_mismatch"},
    {Refusal::bad_signature, "bad_signature"},
    {Refusal::gap, "gap"},
    {Refusal::broken_chain, "broken_chain"},
    {Refusal::clock_skew, "clock_skew"},
}};

constexpr std::array<std::pair<PushStatus, std::string_view>, 4> status_names{{
    {PushStatus::accepted, "accepted"},
    {PushStatus::duplicate, "duplicate"},
    {PushStatus::refused, "refused"},
    {PushStatus::not_stored, "not_stored"},
}};

}  // namespace

std::string_view to_string(Role role) {
    switch (role) {
        case Role::replica: return "replica";
        case Role::coordinator: return "coordinator";
        case Role::auditor: return "auditor";
    }
    return "unknown";
}

Role role_from_string(std::string_view name) {
    if (name == "replica") return Role::replica;
    if (name == "coordinator") return Role::coordinator;
    if (name == "auditor") return Role::auditor;
    throw InputError("unknown role '" + std::string(name.substr(0, 32)) + "'; use replica, coordinator or auditor");
}

std::string auth_message(std::string_view identity, std::string_view challenge_base64) {
    std::string m = "kimsync-auth-v1\n";
    m += identity;
    m += '\n';
    m += challenge_base64;
    return m;
}

std::string_view to_string(Refusal reason) {
    for (const auto& [r, name] : refusal_names) {
        if (r == reason) return name;
    }
    return "unknown";
}

std::optional<Refusal> refusal_from_string(std::string_view name) {
    for (const auto& [r, n] : refusal_names) {
        if (n == name) return r;
    }
    return std::nullopt;
}

const std::vector<Refusal>& all_refusals() {
    static const std::vector<Refusal> all = [] {
        std::vector<Refusal> v;
        for (const auto& entry : refusal_names) v.push_back(entry.first);
        return v;
    }();
    return all;
}

std::string_view to_string(PushStatus status) {
    for (const auto& [s, name] : status_names) {
        if (s == status) return name;
    }
    return "unknown";
}

json to_json(const ChallengeRequest& m) { return {{"identity", m.identity}}; }
json to_json(const ChallengeResponse& m) { return {{"challenge", m.challenge}, {"expires_in", m.expires_in}}; }
json to_json(const TokenRequest& m) {
    return {{"identity", m.identity}, {"challenge", m.challenge}, {"signature", m.signature}};
}
json to_json(const TokenResponse& m) {
    json j{{"token", m.token}, {"identity", m.identity}, {"role", to_string(m.role)}, {"expires_at", m.expires_at}};
    if (!m.site.empty()) j["site"] = m.site;
    return j;
}
json to_json(const PushRequest& m) {
    json j{{"changes", m.changes}};
    if (m.introduction) j["introduction"] = *m.introduction;
    return j;
}
json to_json(const PushResult& m) {
    json j{{"id", m.id}, {"status", to_string(m.status)}};
    if (m.reason) j["reason"] = to_string(*m.reason);
    if (!m.message.empty()) j["message"] = m.message;
    if (m.status == PushStatus::accepted || m.status == PushStatus::duplicate) j["server_seq"] = m.server_seq;
    return j;
}
json to_json(const PushResponse& m) {
    json results = json::array();
    for (const auto& r : m.results) results.push_back(to_json(r));
    return {{"stored", m.stored}, {"results", std::move(results)}};
}
json to_json(const PullResponse& m) {
    return {{"changes", m.changes}, {"introductions", m.introductions}, {"next", m.next}, {"more", m.more}};
}
json to_json(const ErrorBody& m) { return {{"error", m.error}, {"message", m.message}}; }

ChallengeRequest challenge_request_from_json(const json& j) {
    Reader r(j, "the challenge request", {"identity"});
    return {r.string("identity")};
}

ChallengeResponse challenge_response_from_json(const json& j) {
    Reader r(j, "the challenge response", {"challenge", "expires_in"});
    ChallengeResponse m;
    m.challenge = r.string("challenge");
    m.expires_in = static_cast<int>(r.integer("expires_in"));
    return m;
}

TokenRequest token_request_from_json(const json& j) {
    Reader r(j, "the token request", {"identity", "challenge", "signature"});
    return {r.string("identity"), r.string("challenge"), r.string("signature")};
}

TokenResponse token_response_from_json(const json& j) {
    Reader r(j, "the token response", {"token", "identity", "role", "site", "expires_at"});
    TokenResponse m;
    m.token = r.string("token");
    m.identity = r.string("identity");
    m.role = role_from_string(r.string("role"));
    if (r.has("site")) m.site = r.string("site");
    m.expires_at = r.integer("expires_at");
    return m;
}

PushRequest push_request_from_json(const json& j) { return push_request_from_json(json(j)); }

PushRequest push_request_from_json(json&& j) {
    Reader r(j, "the push request", {"changes", "introduction"});
    static_cast<void>(r.array("changes"));  // checked; then moved, not copied
    PushRequest m;
    if (r.has("introduction")) {
        if (!j["introduction"].is_object()) throw InputError("the push request: 'introduction' must be an object");
        m.introduction = std::move(j["introduction"]);
    }
    m.changes = std::move(j["changes"]);
    return m;
}

PushResponse push_response_from_json(const json& j) {
    Reader r(j, "the push response", {"stored", "results"});
    PushResponse m;
    m.stored = r.boolean("stored");
    for (const auto& item : r.array("results")) {
        Reader ri(item, "a push result", {"id", "status", "reason", "message", "server_seq"});
        PushResult res;
        res.id = ri.string("id");
        const std::string status = ri.string("status");
        const auto s = std::find_if(status_names.begin(), status_names.end(),
                                    [&](const auto& entry) { return entry.second == status; });
        if (s == status_names.end()) throw InputError("a push result has an unknown status");
        res.status = s->first;
        if (ri.has("reason")) {
            res.reason = refusal_from_string(ri.string("reason"));
            if (!res.reason) throw InputError("a push result has an unknown refusal reason");
        }
        if (ri.has("message")) res.message = ri.string("message");
        if (ri.has("server_seq")) res.server_seq = ri.unsigned_integer("server_seq");
        m.results.push_back(std::move(res));
    }
    return m;
}

PullResponse pull_response_from_json(const json& j) { return pull_response_from_json(json(j)); }

PullResponse pull_response_from_json(json&& j) {
    Reader r(j, "the pull response", {"changes", "introductions", "next", "more"});
    static_cast<void>(r.array("changes"));  // checked; then moved, not copied
    static_cast<void>(r.array("introductions"));
    PullResponse m;
    m.next = r.unsigned_integer("next");
    m.more = r.boolean("more");
    m.changes = std::move(j["changes"]);
    m.introductions = std::move(j["introductions"]);
    return m;
}

ErrorBody error_body_from_json(const json& j) {
    Reader r(j, "the error response", {"error", "message"});
    return {r.string("error"), r.string("message")};
}

}  // namespace kim::protocol
