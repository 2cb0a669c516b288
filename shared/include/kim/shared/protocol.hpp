// The sync protocol between `kim` and `kim-server` (docs/protocol.md): its
// version, paths, limits, refusal reasons and the JSON of each message.
// Both sides build and read messages only through this file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kim::protocol {

// The protocol version, the `N` of every `/vN/` path.
//   1: challenge–response tokens, push of one origin's changes in all-or-nothing
//      batches, pull of the caller's site by server cursor, introductions
//      relayed for the replicas to verify.
inline constexpr int version = 1;
inline constexpr std::string_view path_prefix = "/v1/";

inline constexpr std::string_view path_challenge = "/v1/auth/challenge";
inline constexpr std::string_view path_token = "/v1/auth/token";
inline constexpr std::string_view path_push = "/v1/push";
inline constexpr std::string_view path_pull = "/v1/pull";
inline constexpr std::string_view path_stats = "/v1/stats";      // coordinators (docs/protocol.md "Statistics")
inline constexpr std::string_view path_session = "/v1/session";  // the dashboard's sign-in
inline constexpr std::string_view path_health = "/healthz";
inline constexpr std::string_view path_metrics = "/metrics";

// Limits. The client splits its outbox to stay under both push bounds.
inline constexpr std::size_t max_push_changes = 2000;
inline constexpr std::size_t max_request_body_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t default_pull_limit = 500;
inline constexpr std::size_t max_pull_limit = 2000;
// A pull page stops early once its changes reach this many bytes.
inline constexpr std::size_t pull_page_soft_bytes = 8 * 1024 * 1024;

inline constexpr int challenge_lifetime_seconds = 60;
inline constexpr int token_lifetime_seconds = 15 * 60;

enum class Role { replica, coordinator, auditor };
std::string_view to_string(Role role);
// Throws InputError for anything but the three names.
Role role_from_string(std::string_view name);

// What a caller signs to prove it holds its key: domain-separated so that it
// can never be mistaken for a change (whose canonical bytes start with '{').
std::string auth_message(std::string_view identity, std::string_view challenge_base64);

// Why the server refuses a pushed change. Each has its own test.
enum class Refusal {
    malformed,            // the envelope does not parse
    wrong_origin,         // a replica pushing another replica's change
    wrong_site,           // a change for a site the replica is not enrolled in
    equivocation,         // same id as a stored change, other content
    unknown_field,        // field or kind not in the catalogue
    bad_value,            // statistical value outside the field's list, or a field misused
    missing_ciphertext,   // a confidential field without its ciphertext
    ciphertext_mismatch,  // a ciphertext that does not match its signed hash
    bad_signature,
    gap,                  // seq is not the origin's next one
    broken_chain,         // prev is not the hash of the origin's previous change
    clock_skew,           // hlc too far ahead of the server's clock
};
std::string_view to_string(Refusal reason);
std::optional<Refusal> refusal_from_string(std::string_view name);
// Every reason, for metrics that list each one (also at zero).
const std::vector<Refusal>& all_refusals();

// --- messages -------------------------------------------------------------

// POST /v1/auth/challenge
struct ChallengeRequest {
    std::string identity;
};
struct ChallengeResponse {
    std::string challenge;  // base64 of 32 random bytes, single use
    int expires_in = challenge_lifetime_seconds;
};

// POST /v1/auth/token
struct TokenRequest {
    std::string identity;
    std::string challenge;  // as received
    std::string signature;  // base64 Ed25519 over auth_message(identity, challenge)
};
struct TokenResponse {
    std::string token;
    std::string identity;
    Role role = Role::replica;
    std::string site;  // replicas only
    std::int64_t expires_at = 0;  // seconds since 1970
};

// POST /v1/push
struct PushRequest {
    nlohmann::json changes = nlohmann::json::array();  // envelopes with their ct
    // The pushing replica's introduction (MAC'd with its site key), relayed to
    // its site's replicas so that they can check signatures without trusting the server.
    std::optional<nlohmann::json> introduction;
};

enum class PushStatus { accepted, duplicate, refused, not_stored };
std::string_view to_string(PushStatus status);

struct PushResult {
    std::string id;  // origin:seq, or "#index" when the envelope has none
    PushStatus status = PushStatus::accepted;
    std::optional<Refusal> reason;  // refused only
    std::string message;            // refused only: for a person
    std::uint64_t server_seq = 0;   // accepted or duplicate
};
// 200 when every change was accepted or a duplicate; 422 when one or more
// were refused, in which case nothing of the batch was stored.
struct PushResponse {
    bool stored = false;
    std::vector<PushResult> results;
};

// GET /v1/pull?since=CURSOR&limit=N
struct PullResponse {
    nlohmann::json changes = nlohmann::json::array();
    nlohmann::json introductions = nlohmann::json::array();
    std::uint64_t next = 0;  // the cursor for the next pull
    bool more = false;
};

// Every error response: {"error": code, "message": text}.
struct ErrorBody {
    std::string error;
    std::string message;
};

// to_json / from_json. The from_json functions are strict (unknown keys,
// wrong types) and throw InputError naming the message and the key.
nlohmann::json to_json(const ChallengeRequest& m);
nlohmann::json to_json(const ChallengeResponse& m);
nlohmann::json to_json(const TokenRequest& m);
nlohmann::json to_json(const TokenResponse& m);
nlohmann::json to_json(const PushRequest& m);
nlohmann::json to_json(const PushResult& m);
nlohmann::json to_json(const PushResponse& m);
nlohmann::json to_json(const PullResponse& m);
nlohmann::json to_json(const ErrorBody& m);

ChallengeRequest challenge_request_from_json(const nlohmann::json& j);
ChallengeResponse challenge_response_from_json(const nlohmann::json& j);
TokenRequest token_request_from_json(const nlohmann::json& j);
TokenResponse token_response_from_json(const nlohmann::json& j);
PushRequest push_request_from_json(const nlohmann::json& j);
// From a parsed body that is no longer needed: its arrays are moved, not copied.
PushRequest push_request_from_json(nlohmann::json&& j);
PushResponse push_response_from_json(const nlohmann::json& j);
PullResponse pull_response_from_json(const nlohmann::json& j);
PullResponse pull_response_from_json(nlohmann::json&& j);
ErrorBody error_body_from_json(const nlohmann::json& j);

}  // namespace kim::protocol
