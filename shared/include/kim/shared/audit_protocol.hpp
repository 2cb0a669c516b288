// The auditor's part of the protocol (docs/protocol.md "Audit"): the keys,
// the log and the checkpoints, for the auditor role only. Both kim-server and
// kim-audit build and read these messages only through this file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/checkpoint.hpp"

namespace kim::protocol {

// GET: the server's key and every replica ever enrolled.
inline constexpr std::string_view path_audit_keys = "/v1/audit/keys";
// GET ?since=S&limit=N[&ciphertexts=1]: the log after server seq S, in order.
inline constexpr std::string_view path_audit_log = "/v1/audit/log";
// GET: every checkpoint, oldest first. POST (empty body): sign one of the
// log as it stands now and answer it (the "on request" checkpoint).
inline constexpr std::string_view path_audit_checkpoints = "/v1/audit/checkpoints";

inline constexpr std::size_t default_audit_log_limit = 1000;
inline constexpr std::size_t max_audit_log_limit = 5000;
// A log page stops early once its entries reach this many bytes.
inline constexpr std::size_t audit_page_soft_bytes = 8 * 1024 * 1024;
// Checkpoints the server signs on its own: one at least every this many changes
// (kim-server serve --checkpoint-every N).
inline constexpr std::uint64_t default_checkpoint_interval = 1000;

struct AuditReplicaKey {
    std::string id;
    std::string site;
    std::string public_key;                  // base64 Ed25519
    std::int64_t enrolled_at = 0;            // seconds since 1970
    std::optional<std::int64_t> revoked_at;  // absent while enrolled
};

// GET /v1/audit/keys
struct AuditKeys {
    std::string server_key;  // base64 Ed25519: signs the checkpoints
    std::vector<AuditReplicaKey> replicas;  // by id
};

// One change of the log as the server holds it. `change` is the envelope;
// its `ct` values are there only when asked for (ciphertexts=1) and not purged.
// `chain` is the server's stored chain[server_seq]: the auditor recomputes it
// and names the change where the two part.
struct AuditLogEntry {
    std::uint64_t server_seq = 0;
    std::int64_t received_at = 0;  // seconds since 1970: when the server accepted it
    std::string chain;             // base64
    nlohmann::json change;
};

// GET /v1/audit/log
struct AuditLogPage {
    std::vector<AuditLogEntry> entries;
    std::uint64_t next = 0;   // the `since` of the next page
    bool more = false;
    std::uint64_t last_seq = 0;  // the log's length when the page was read
};

// GET /v1/audit/checkpoints
struct CheckpointList {
    std::vector<Checkpoint> checkpoints;  // by server_seq, oldest first
};

nlohmann::json to_json(const AuditReplicaKey& m);
nlohmann::json to_json(const AuditKeys& m);
nlohmann::json to_json(const AuditLogEntry& m);
nlohmann::json to_json(const AuditLogPage& m);
nlohmann::json to_json(const CheckpointList& m);

// Strict, like the rest of the protocol: InputError naming the message and key.
AuditKeys audit_keys_from_json(const nlohmann::json& j);
AuditLogPage audit_log_page_from_json(const nlohmann::json& j);
CheckpointList checkpoint_list_from_json(const nlohmann::json& j);

}  // namespace kim::protocol
