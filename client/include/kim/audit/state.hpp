// What `kim-audit verify --state FILE` remembers between runs: the server's
// key and the replicas' keys (pinned), the checkpoints seen, where
// verification stopped (server seq, chain, the hash of that change) and what
// the next run needs to go on from there without reading the log again: each
// origin's tip, and per case its records, erasure and consent facts. No
// value of the log beyond ids, hashes and clocks; nothing confidential.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::audit {

inline constexpr std::string_view state_kind = "kimsync-audit-state";
inline constexpr int state_version = 1;

// A record of one site: record ids are unique per site only, and the server
// erases and purges per site.
using SiteRecord = std::pair<std::string, std::string>;  // (site, record)

// At most this many ranges of missing seqs are remembered over all origins
// (a server forging seqs must not exhaust memory); beyond them a late change
// is reported as an equivocation instead of as out of order.
inline constexpr std::size_t max_missing_ranges = 100'000;

// The last change of one origin seen so far.
struct OriginTip {
    std::uint64_t seq = 0;
    Hash32 hash{};
    // Seqs skipped by a gap (already reported), as ranges first → last
    // (inclusive): one arriving later is out of order, not a second change
    // with the same id.
    std::map<std::uint64_t, std::uint64_t> missing;
};

// A replica's key as the server listed it when it was last verified: pinned,
// so that a later key swap, a moved enrolment or a backdated new replica is
// caught (`key_changed`).
struct PinnedReplica {
    crypto::PublicKey key{};
    std::string site;
    std::int64_t enrolled_at = 0;
    std::optional<std::int64_t> revoked_at;
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
    // The records whose case this is (by the server's rule: the first change
    // naming a case for a record stands; a case record belongs to itself).
    std::vector<std::string> records;
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
    std::int64_t checkpoint_time = 0;  // the time of the latest checkpoint verified (the server's clock)
    std::map<std::string, PinnedReplica> replicas;  // the enrolled keys, by replica id
    std::map<std::string, OriginTip> origins;
    std::map<SiteRecord, CaseFacts> cases;  // by (site, case id)
    std::set<SiteRecord> erased_records;    // records of any kind with an `_erased` change
};

nlohmann::json to_json(const AuditState& state);
// Strict; InputError naming the file's problem (never its values).
AuditState audit_state_from_json(const nlohmann::json& j);

// Nothing when the file does not exist (the first run); InputError naming
// the file when it is not a state file of this version (never a JSON
// library exception).
std::optional<AuditState> load_state(const std::filesystem::path& file);
// InputError when the folder of `file` does not exist or cannot be written
// (checked before a run, not after minutes of verification).
void check_state_writable(const std::filesystem::path& file);
// Written to a temporary file beside it (mode 0600), flushed to disk, then
// renamed over the old one: a crash leaves the old state or the new one.
void save_state(const std::filesystem::path& file, const AuditState& state);

}  // namespace kim::audit
