// Builds, encrypts, signs and commits this replica's own changes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../keys/key_ring.hpp"
#include "../log/change_log.hpp"
#include "../merge/merge_engine.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::client {

// One field operation before it becomes part of a signed change.
struct PlannedOp {
    std::string field;
    std::vector<std::string> parents;
    std::optional<nlohmann::json> value;  // statistical
    std::optional<Bytes> plaintext;       // confidential; wiped once encrypted
    bool seals_case_key = false;          // `_key`: encrypt under the site key
};

class LocalWriter {
public:
    LocalWriter(sqlite::Database& db, ChangeLog& log, MergeEngine& merge, const KeyRing& keys, HybridClock& clock,
                std::string site, std::string replica)
        : db_(db), log_(log), merge_(merge), keys_(keys), clock_(clock), site_(std::move(site)), replica_(std::move(replica)) {}

    // Appends one change to this replica's chain and applies it, inside the
    // caller's transaction. `case_key` encrypts every confidential op but `_key`.
    Change commit(const std::string& record, const std::string& kind, std::vector<PlannedOp> ops, const Key32* case_key);

private:
    sqlite::Database& db_;
    ChangeLog& log_;
    MergeEngine& merge_;
    const KeyRing& keys_;
    HybridClock& clock_;
    std::string site_;
    std::string replica_;
};

}  // namespace kim::client
