// The JSON and CSV answers of GET /v1/stats. A suppressed number is written
// as null (JSON) or left empty (CSV), and never as a count.
#include "stats_format.hpp"

#include <string_view>

namespace kim::server::stats {

namespace {

nlohmann::json value_json(const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json figure_json(nlohmann::json entry, const Figure& figure) {
    if (figure.suppressed) {
        entry["count"] = nullptr;
        entry["suppressed"] = true;
    } else {
        entry["count"] = figure.count;
    }
    return entry;
}

// Values are catalogue categories, site names and quarters, none of which
// needs quoting; quote anyway when one ever does, and keep a spreadsheet
// from reading a cell as a formula.
std::string csv_field(std::string_view text) {
    std::string field(text);
    if (!field.empty() && std::string_view("=+-@").find(field.front()) != std::string_view::npos) field.insert(0, "'");
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string quoted = "\"";
    for (const char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string csv_value(const std::optional<std::string>& value) { return value ? csv_field(*value) : std::string(); }

std::string csv_figure(const Figure& figure) {
    return figure.suppressed ? std::string(",yes") : std::to_string(figure.count) + ",no";
}

}  // namespace

nlohmann::json table_to_json(const Table& table) {
    nlohmann::json j;
    j["count"] = table.count;
    j["by"] = table.by;
    j["k"] = table.k;
    j["as_of"] = table.as_of;
    j["filters"] = nlohmann::json::array();
    for (const auto& f : table.filters) {
        j["filters"].push_back({{"field", f.field}, {"exclude", f.exclude}, {"values", f.values}});
    }
    j["dimensions"] = nlohmann::json::array();
    for (const auto& d : table.dimensions) {
        nlohmann::json values = nlohmann::json::array();
        for (const auto& v : d.values) values.push_back(value_json(v));
        j["dimensions"].push_back({{"name", d.name}, {"values", std::move(values)}});
    }
    const auto& last = table.dimensions.back();
    j["cells"] = nlohmann::json::array();
    for (std::size_t i = 0; i < table.cells.size(); ++i) {
        nlohmann::json entry = nlohmann::json::object();
        if (table.dimensions.size() == 2) {
            entry[table.dimensions[0].name] = value_json(table.dimensions[0].values[i / last.values.size()]);
        }
        entry[last.name] = value_json(last.values[i % last.values.size()]);
        j["cells"].push_back(figure_json(std::move(entry), table.cells[i]));
    }
    if (!table.margins.empty()) {
        j["margins"] = nlohmann::json::object();
        for (std::size_t d = 0; d < table.margins.size(); ++d) {
            nlohmann::json list = nlohmann::json::array();
            for (std::size_t i = 0; i < table.margins[d].size(); ++i) {
                nlohmann::json entry = {{table.dimensions[d].name, value_json(table.dimensions[d].values[i])}};
                list.push_back(figure_json(std::move(entry), table.margins[d][i]));
            }
            j["margins"][table.dimensions[d].name] = std::move(list);
        }
    }
    j["total"] = figure_json(nlohmann::json::object(), table.total);
    return j;
}

std::string table_to_csv(const Table& table) {
    std::string csv;
    for (const auto& d : table.dimensions) csv += csv_field(d.name) + ",";
    csv += "count,suppressed\r\n";
    const auto& last = table.dimensions.back();
    const bool two = table.dimensions.size() == 2;
    for (std::size_t i = 0; i < table.cells.size(); ++i) {
        if (two) csv += csv_value(table.dimensions[0].values[i / last.values.size()]) + ",";
        csv += csv_value(last.values[i % last.values.size()]) + "," + csv_figure(table.cells[i]) + "\r\n";
    }
    if (two) {
        for (std::size_t i = 0; i < table.margins[0].size(); ++i) {
            csv += csv_value(table.dimensions[0].values[i]) + ",*," + csv_figure(table.margins[0][i]) + "\r\n";
        }
        for (std::size_t i = 0; i < table.margins[1].size(); ++i) {
            csv += "*," + csv_value(table.dimensions[1].values[i]) + "," + csv_figure(table.margins[1][i]) + "\r\n";
        }
    }
    csv += two ? "*,*," : "*,";
    csv += csv_figure(table.total) + "\r\n";
    return csv;
}

std::string csv_file_name(const Table& table) {
    std::string name = "kim-stats-" + table.count;
    for (const auto& b : table.by) {
        name += "-";
        for (const char c : b) name += c == '.' ? '_' : c;
    }
    return name + ".csv";
}

}  // namespace kim::server::stats
