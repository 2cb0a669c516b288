// A data subject's access request (GDPR Art. 15): everything this replica
// holds about one case, decrypted in memory and returned as JSON. The layout
// is described in docs/privacy.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../log/change_log.hpp"
#include "../merge/merge_engine.hpp"
#include "../view/record_reader.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::client {

struct ExportContext {
    sqlite::Database& db;
    ChangeLog& log;
    MergeEngine& merge;
    RecordReader& reader;
    const Catalogue& catalogue;
    std::string site;
    std::string replica;
    std::uint64_t now_millis = 0;
};

inline constexpr std::string_view case_export_format = "kimsync-case-export";
inline constexpr int case_export_version = 1;

// `case_id` must name a case held here (the caller checks); `records` are
// its records in the order they were written (Replica::records_of_case). An
// erased case gives its id, its records' ids and the erasure, and no other value.
nlohmann::json export_case(ExportContext& ctx, const std::string& case_id, const std::vector<std::string>& records);

}  // namespace kim::client
