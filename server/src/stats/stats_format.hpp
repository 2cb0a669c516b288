// A statistics table as the JSON and CSV answers of GET /v1/stats
// (docs/protocol.md "Statistics").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "stats_service.hpp"

namespace kim::server::stats {

nlohmann::json table_to_json(const Table& table);
// Header line, the cells, the margins and the total; `*` for "all values".
std::string table_to_csv(const Table& table);
// "kim-stats-cases-site-phase.csv"
std::string csv_file_name(const Table& table);

}  // namespace kim::server::stats
