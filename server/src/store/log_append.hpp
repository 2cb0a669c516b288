// One change appended to the log, the same way in every backend: its place
// in the chain, the case link learnt, the erasure rules (GDPR Art. 17), the
// statistics index and the checkpoints due. Each backend supplies the
// statements (LogTables) inside its push transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kim/shared/bytes.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/checkpoint.hpp"
#include "kim/shared/crypto.hpp"
#include "stats_index.hpp"

namespace kim::server {

// The case a change names for its record: the record itself for a case,
// the clear `case` link for the change that creates any other record;
// nothing for later edits, which do not repeat the link.
std::optional<std::string> case_named_by(const Change& c);

// The statements of one append, inside the backend's write transaction.
class LogTables {
public:
    virtual ~LogTables() = default;
    // Records the case of (site, record) unless one is known already.
    virtual void learn_case(const Change& c, const std::string& case_id) = 0;
    // Whether the site's log erases `record` or the case it belongs to.
    virtual bool erased(std::string_view site, std::string_view record) = 0;
    virtual void insert_change(const Change& c, std::uint64_t server_seq, bool erases, const Hash32& hash,
                               const Hash32& chain, std::string_view envelope) = 0;
    virtual StatsTables& stats_tables() = 0;
    // Rewrites without their ciphertexts the stored changes of `record` and
    // of the records of the case `record`; returns the ciphertexts removed.
    virtual std::size_t purge_ciphertexts(std::string_view site, std::string_view record) = 0;
    virtual void insert_checkpoint(const Checkpoint& checkpoint) = 0;
};

// The last change of the log as a batch carries it forward.
struct ChainTip {
    std::uint64_t server_seq = 0;
    Hash32 chain{};  // chain[0]: 32 zero bytes
};

struct AppendRules {
    const crypto::SigningSecret& signing_key;  // signs the checkpoints
    std::uint64_t checkpoint_interval;         // a checkpoint at every multiple
};

// Appends `c` after `tip` with chain[n] = BLAKE2b(chain[n-1] || hash) and
// moves `tip` to it; returns the ciphertexts this removed from the log (the
// change's own, when its record is erased, and the purge an erasure makes).
std::size_t append_change(LogTables& tables, ChainTip& tip, const AppendRules& rules, const Change& c,
                          const Hash32& hash, std::string_view envelope_json);

}  // namespace kim::server
