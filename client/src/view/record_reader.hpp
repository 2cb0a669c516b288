// Turns the merge state into RecordViews, decrypting confidential heads with
// the case key (itself unwrapped with the site key). Plaintext exists only in
// memory, in the returned views.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "../log/change_log.hpp"
#include "../merge/merge_engine.hpp"
#include "kim/client/views.hpp"
#include "kim/shared/catalogue.hpp"

namespace kim::client {

class RecordReader {
public:
    RecordReader(ChangeLog& log, MergeEngine& merge, const Key32& site_key, const Catalogue& catalogue)
        : log_(log), merge_(merge), site_key_(site_key), catalogue_(catalogue) {}

    // Throws NotFoundError for an unknown record. An erased record comes back
    // with erased = true and no fields.
    RecordView read(std::string_view record);
    // Nothing when the case's key has not arrived or was destroyed by erasure.
    std::optional<Key32> case_key(std::string_view case_id);
    HeadValue decode(std::string_view record, const RecordRow& row, const FieldSpec& spec, const Head& head);
    void forget(std::string_view case_id) { cache_.erase(std::string(case_id)); }
    // After an import: an erasure may have arrived, so no cached key survives.
    void forget_all() { cache_.clear(); }

private:
    ChangeLog& log_;
    MergeEngine& merge_;
    const Key32& site_key_;
    const Catalogue& catalogue_;
    std::map<std::string, Key32, std::less<>> cache_;
};

}  // namespace kim::client
