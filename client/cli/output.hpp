// How `kim` prints records, conflicts and reports, for people and as JSON.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/client/views.hpp"

namespace kim::cli {

nlohmann::json to_json(const client::HeadValue& h);
nlohmann::json to_json(const client::RecordView& r);
nlohmann::json to_json(const client::Conflict& c);
nlohmann::json to_json(const client::ImportReport& r);
nlohmann::json to_json(const client::ReplicaStatus& s);

// A record with its labels from the catalogue, conflicts marked.
void print_record(std::ostream& out, const client::RecordView& r, const std::string& indent = "");
void print_conflict(std::ostream& out, const client::Conflict& c);
std::string short_id(const std::string& id);
// Control characters escaped; each new line starts with `continuation`.
std::string printable(const std::string& text, const std::string& continuation = "");
// The wall-clock part of a hybrid logical clock, local time "YYYY-MM-DD HH:MM".
std::string format_hlc(std::uint64_t hlc);

// field=value arguments as typed on the command line.
std::vector<std::pair<std::string, std::string>> parse_assignments(const std::vector<std::string>& args);

}  // namespace kim::cli
