// What one `kim-audit verify` run found: integrity failures (the log cannot
// be trusted) and findings (the log is intact, but the practice it records
// breaks a rule, e.g. processing before consent).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kim::audit {

// The kinds of integrity failure, as they appear in the report's `fault`.
// docs/audit.md says what each one means and what to do about it.
namespace fault {
inline constexpr const char* malformed = "malformed";          // the entry or its change does not parse strictly
inline constexpr const char* sequence = "sequence";            // server seqs not contiguous (deleted or reordered entries)
inline constexpr const char* chain = "chain";                  // the change does not hash to the server's chain here
inline constexpr const char* signature = "signature";          // the origin's enrolled key did not sign this change
inline constexpr const char* unknown_origin = "unknown_origin";  // no key was ever enrolled for the origin
inline constexpr const char* wrong_site = "wrong_site";        // the origin is enrolled for another site
inline constexpr const char* not_enrolled = "not_enrolled";    // accepted before the origin was enrolled
inline constexpr const char* revoked = "revoked";              // accepted after the origin was revoked
inline constexpr const char* gap = "gap";                      // the origin's seq skips numbers
inline constexpr const char* fork = "fork";                    // prev is not the hash of the origin's previous change
inline constexpr const char* equivocation = "equivocation";    // the same origin:seq twice
inline constexpr const char* order = "order";                  // an origin's change after its successor
inline constexpr const char* catalogue = "catalogue";          // a field or value the catalogue does not allow
inline constexpr const char* ciphertext = "ciphertext";        // a ciphertext that does not match its signed hash
inline constexpr const char* purged = "purged";                // a ciphertext purged from a record that was not erased
inline constexpr const char* checkpoint_signature = "checkpoint_signature";
inline constexpr const char* checkpoint_mismatch = "checkpoint_mismatch";  // the log does not extend the checkpoint
inline constexpr const char* rolled_back = "rolled_back";      // the log is shorter than a checkpoint or an earlier run
inline constexpr const char* rewritten = "rewritten";          // the log differs from what an earlier run verified
inline constexpr const char* server_key = "server_key";        // the server's key is not the one pinned in the state
inline constexpr const char* key_changed = "key_changed";      // a replica's key or enrolment differs from the pinned one
}  // namespace fault

struct Failure {
    std::uint64_t server_seq = 0;  // 0: not tied to one entry (e.g. the server's key)
    std::string change;            // origin:seq; empty when unknown
    std::string fault;             // one of kim::audit::fault
    std::string message;           // for a person; never quotes a value of the log
};

// A case whose first processing consent comes after another operation on it
// (or that has none). From clear statistical fields only.
struct Finding {
    std::string case_id;
    std::string change;            // origin:seq of the first operation before consent
    std::uint64_t server_seq = 0;  // where that change is in the log
    std::string message;
};

struct Report {
    std::string server;             // the URL, when verified over the network
    std::uint64_t changes = 0;      // verified in total, this run and the earlier ones (--state)
    std::uint64_t new_changes = 0;  // verified in this run
    std::size_t origins = 0;        // replicas with changes in the log
    std::size_t checkpoints = 0;    // checkpoints verified (signature, and the chain where it can be recomputed)
    bool incremental = false;       // continued from a state file
    std::vector<Finding> findings;
    std::vector<Failure> failures;  // the first kept_failures of them
    std::size_t failure_count = 0;  // all of them

    bool ok() const { return failure_count == 0; }
};

// Failures kept in memory and in --json; the rest are only counted.
inline constexpr std::size_t kept_failures = 10'000;

// Messages are cut to this many bytes (at a UTF-8 character's start, with
// "…"): a name taken from the log must not make one failure large.
inline constexpr std::size_t max_message_bytes = 256;
// `text` cut to at most `max` bytes without splitting a UTF-8 character.
std::string clip(std::string text, std::size_t max = max_message_bytes);

// {ok, changes, new_changes, origins, checkpoints, findings[], failures[], failure_count}
nlohmann::json to_json(const Report& report);
// The short report for people: counts, findings and failures (the first
// `max_listed` of each), and OK or FAILED.
std::string format_report(const Report& report, std::size_t max_listed = 20);

}  // namespace kim::audit
