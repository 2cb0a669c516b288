// The heads rule of DESIGN.md "Merge": per (record, field), the heads are the
// operations that no other known operation on it names as a parent. The
// result depends only on the set of changes applied, not on their order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../log/change_log.hpp"
#include "kim/sqlite/database.hpp"
#include "kim/shared/change.hpp"

namespace kim::client {

struct Head {
    std::string change_id;
    std::string origin;
    std::uint64_t seq = 0;
    std::uint64_t hlc = 0;
    std::optional<std::string> value;  // clear value as JSON text (statistical fields)
    std::optional<Hash32> ct_hash;     // confidential fields
};

struct RecordRow {
    std::string kind;
    std::string case_id;
    bool erased = false;
};

class MergeEngine {
public:
    MergeEngine(sqlite::Database& db, ChangeLog& log) : db_(db), log_(log) {}

    // Applies a verified change whose ciphertexts are already stored in the
    // log; call inside the transaction that stored it. Erasure is terminal:
    // once a record (or its case) is erased its ciphertexts are deleted,
    // including those of changes that arrive later.
    void apply(const Change& c);

    std::optional<RecordRow> record(std::string_view id);
    // Erased itself, or belongs to an erased case.
    bool effectively_erased(std::string_view id);
    // True when `c` writes to a record erased here, or creates a record of a
    // case erased here: its ciphertexts must not be kept.
    bool erased_here(const Change& c);
    // Heads ordered so that the displayed one, greatest (hlc, origin, seq), is first.
    std::vector<Head> heads(std::string_view record, std::string_view field);
    // Every field's heads in one query (same order as heads()).
    std::map<std::string, std::vector<Head>> heads_by_field(std::string_view record);

    // Strips the ciphertexts of held changes (waiting for a gap) that belong
    // to a record erased here, also when the change that links their record
    // to an erased case is itself still held. Call at the end of an import.
    void purge_held_of_erased();
    // Whether any record is erased here (cheap; saves the sweep above when none is).
    bool any_erased();
    // Whether an erasure destroyed or refused ciphertexts since the last
    // call: the caller then clears old page images out of the WAL.
    bool take_erasure_flag() { return std::exchange(erasure_seen_, false); }

private:
    void refresh_case_link(const std::string& record);
    void purge_if_erased(const std::string& record, const std::string& kind, bool erasure_now);

    sqlite::Database& db_;
    ChangeLog& log_;
    bool erasure_seen_ = false;
};

}  // namespace kim::client
