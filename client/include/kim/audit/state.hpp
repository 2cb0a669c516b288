// What `kim-audit verify --state FILE` remembers between runs: the server's
// key (pinned), the checkpoints seen, where verification stopped (server
// seq, chain, the hash of that change) and what the next run needs to go on
// from there without reading the log again: each origin's tip, and per case
// its records, erasure and consent facts. No value of the log beyond ids,
// hashes and clocks; nothing confidential.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::audit {

inline constexpr std::string_view state_kind = "kimsync-audit-state";
inline constexpr int state_version = 1;

// The last change of one origin seen so far.
struct OriginTip {
    std::uint64_t seq = 0;
    Hash32 hash{};
    // Seqs skipped by a gap (already reported): one arriving later is out of
    // order, not a second change with the same id.
    std::set<std::uint64_t> missing;
};

// The earliest (by hlc, then origin) operation on a case that needs consent.
struct CaseOperation {
    std::uint64_t hlc = 0;
    std::string origin;
    std::uint64_t seq = 0;
    std::uint64_t server_seq = 0;
};

struct CaseFacts {
    bool created = false;  // the case record's first change was seen (it needs no consent)
    bool erased = false;
    std::optional<std::uint64_t> consent_hlc;  // earliest processing consent
    std::optional<CaseOperation> first_operation;
    std::vector<std::string> records;  // the records naming this case
};

struct AuditState {
    std::optional<crypto::PublicKey> server_key;  // pinned at the first run
    // Verified so far: the log's first `server_seq` changes, chain[server_seq],
    // and the hash of change `server_seq` (zero for the empty log).
    std::uint64_t server_seq = 0;
    Hash32 chain{};
    Hash32 last_hash{};
    std::uint64_t changes = 0;
    std::map<std::uint64_t, Hash32> checkpoints;  // seen: server seq → chain
    std::map<std::string, OriginTip> origins;
    std::map<std::string, CaseFacts> cases;
    std::set<std::string> erased_records;  // records of any kind with an `_erased` change
};

nlohmann::json to_json(const AuditState& state);
// Strict; InputError naming the file's problem (never its values).
AuditState audit_state_from_json(const nlohmann::json& j);

// Nothing when the file does not exist (the first run); InputError when it
// is not a state file of this version.
std::optional<AuditState> load_state(const std::filesystem::path& file);
// Written to a temporary file beside it (mode 0600), flushed to disk, then
// renamed over the old one: a crash leaves the old state or the new one.
void save_state(const std::filesystem::path& file, const AuditState& state);

}  // namespace kim::audit
