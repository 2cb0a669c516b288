// Validation of a coordinator's question, the full table around the store's
// counts, and the suppression of its small cells.
#include "stats_service.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "suppression.hpp"

namespace kim::server::stats {

namespace {

// The `count` parameter names the kinds in the plural, as people say it.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> counted_kinds{{
    {"cases", "case"},
    {"referrals", "referral"},
    {"goals", "goal"},
    {"contacts", "contact"},
    {"consents", "consent"},
}};

constexpr std::size_t max_filter_values = 64;
constexpr std::string_view need_prefix = "need.";

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    while (true) {
        const auto at = text.find(separator);
        parts.emplace_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

// The statistical fields a coordinator may group or filter by: coarse
// categories only (lists and quarters), never the record link or the markers.
std::vector<const FieldSpec*> countable_fields(const KindSpec& kind) {
    std::vector<const FieldSpec*> fields;
    for (const auto& field : kind.fields) {
        if (field.confidential) continue;
        if (field.type == FieldType::enumeration || field.type == FieldType::quarter) fields.push_back(&field);
    }
    return fields;
}

std::vector<std::string> dimension_names(const KindSpec& kind) {
    std::vector<std::string> names{dimension_site};
    if (kind.name == "case") names.emplace_back(dimension_need);
    for (const auto* field : countable_fields(kind)) names.push_back(field->name);
    return names;
}

const FieldSpec* countable_field(const KindSpec& kind, std::string_view name) {
    for (const auto* field : countable_fields(kind)) {
        if (field->name == name) return field;
    }
    return nullptr;
}

std::string kind_of_count(std::string_view count) {
    for (const auto& [plural, kind] : counted_kinds) {
        if (plural == count) return std::string(kind);
    }
    throw InputError("count=" + std::string(count.substr(0, 40)) +
                     " is not something the statistics count; use count=cases, referrals, goals, contacts or consents");
}

void check_filter_value(const KindSpec& kind, std::string_view field, const std::string& value) {
    const std::string problem = "filter " + std::string(field) + ": ";
    if (value.empty()) throw InputError(problem + "a value is empty; separate values with single commas");
    if (field == dimension_site) {
        if (!is_valid_name(value)) throw InputError(problem + "a site is 1-63 characters of a-z, 0-9 and '-'");
        return;
    }
    const FieldSpec& spec = *countable_field(kind, field);
    if (spec.type == FieldType::quarter) {
        if (!is_quarter(value)) throw InputError(problem + "a quarter is written like 2026-Q3");
        return;
    }
    if (std::find(spec.values.begin(), spec.values.end(), value) == spec.values.end()) {
        throw InputError(problem + "the value is not one of " + join(spec.values));
    }
}

Filter parse_filter(const KindSpec& kind, const std::string& field, std::string_view text) {
    Filter filter{field, false, {}};
    if (!text.empty() && text.front() == '!') {
        filter.exclude = true;
        text.remove_prefix(1);
    }
    filter.values = split(text, ',');
    if (filter.values.size() > max_filter_values) {
        throw InputError("filter " + field + ": at most " + std::to_string(max_filter_values) + " values");
    }
    for (const auto& value : filter.values) check_filter_value(kind, field, value);
    return filter;
}

// Every value a dimension shows: the whole list for a list field (as far as
// the filters let it through), those present for sites and quarters; records
// without a value last.
std::vector<std::optional<std::string>> dimension_values(const std::vector<std::string>& listed,
                                                         const std::set<std::optional<std::string>>& present,
                                                         const Filter* filter) {
    std::vector<std::optional<std::string>> values;
    const auto passes = [filter](const std::string& value) {
        if (!filter) return true;
        const bool named = std::find(filter->values.begin(), filter->values.end(), value) != filter->values.end();
        return named != filter->exclude;
    };
    for (const auto& value : listed) {
        if (passes(value)) values.emplace_back(value);
    }
    for (const auto& value : present) {  // std::set: sorted, nullopt first
        if (value && std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    }
    if (present.count(std::nullopt)) values.emplace_back(std::nullopt);
    return values;
}

std::size_t index_of(const std::vector<std::optional<std::string>>& values, const std::optional<std::string>& value) {
    return static_cast<std::size_t>(std::find(values.begin(), values.end(), value) - values.begin());
}

}  // namespace

StatsService::StatsService(Store& store, const Catalogue& catalogue, std::uint64_t k)
    : store_(store), catalogue_(catalogue), k_(k) {
    if (k < min_k || k > max_k) {
        throw InputError("the statistics' k must be from " + std::to_string(min_k) + " to " + std::to_string(max_k));
    }
}

CountQuery StatsService::query_of(const Parameters& parameters, std::string& count) const {
    CountQuery query;
    const auto count_it = parameters.find("count");
    count = count_it == parameters.end() ? "cases" : count_it->second;
    query.kind = kind_of_count(count);
    const KindSpec& kind = *catalogue_.kind(query.kind);
    const auto allowed = dimension_names(kind);
    const auto is_dimension = [&allowed](std::string_view name) {
        return std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    };

    const auto by_it = parameters.find("by");
    if (by_it == parameters.end() || by_it->second.empty()) {
        throw InputError("say what to group by: by=FIELD or by=FIELD,FIELD, with FIELD one of " + join(allowed));
    }
    query.by = split(by_it->second, ',');
    if (query.by.size() > 2) throw InputError("by: at most two dimensions per table; narrow further with filters");
    for (const auto& name : query.by) {
        if (!is_dimension(name)) {
            throw InputError("by: '" + name.substr(0, 40) + "' is not a dimension of " + count + "; use one of " +
                             join(allowed));
        }
    }
    if (query.by.size() == 2 && query.by[0] == query.by[1]) throw InputError("by: a dimension is named twice");
    if (query.by.size() == 2 && (query.by[0] == dimension_need || query.by[1] == dimension_need)) {
        throw InputError("by=need is a two-way table (Handlungsfeld × level) of its own; it cannot be combined");
    }

    for (const auto& [name, value] : parameters) {
        if (name == "count" || name == "by" || name == "format") continue;
        if (!is_dimension(name) || name == dimension_need) {
            throw InputError("unknown parameter '" + name.substr(0, 40) + "'; /v1/stats takes count, by, format and " +
                             "filters named like a dimension of " + count + ": " + join(allowed));
        }
        query.filters.push_back(parse_filter(kind, name, value));
    }
    check_sites_are_known(query.filters);
    return query;
}

// A mistyped site would count nothing and look like "no cases there".
void StatsService::check_sites_are_known(const std::vector<Filter>& filters) const {
    std::set<std::string> sites;
    for (const auto& f : filters) {
        if (f.field != dimension_site) continue;
        if (sites.empty()) {
            for (const auto& replica : store_.replicas()) sites.insert(replica.site);
        }
        for (const auto& value : f.values) {
            if (sites.count(value)) continue;
            throw InputError("filter site: no replica is enrolled for site '" + value + "'; the sites are " +
                             join(std::vector<std::string>(sites.begin(), sites.end())));
        }
    }
}

Table StatsService::table(const Caller& caller, const Parameters& parameters) {
    require_role(caller, protocol::Role::coordinator);
    Table table;
    const CountQuery query = query_of(parameters, table.count);
    const Counts counts = store_.count_records(query);
    table.by = query.by;
    table.filters = query.filters;
    table.k = k_;
    table.as_of = counts.as_of;

    const KindSpec& kind = *catalogue_.kind(query.kind);
    std::vector<std::string> names = query.by;
    if (names.front() == dimension_need) names = {"need", "level"};
    for (std::size_t d = 0; d < names.size(); ++d) {
        std::set<std::optional<std::string>> present;
        for (const auto& row : counts.rows) present.insert(row.key.at(d));
        std::vector<std::string> listed;
        const Filter* filter = nullptr;
        if (query.by.front() == dimension_need) {
            if (d == 0) {
                for (const auto& field : kind.fields) {
                    if (field.name.starts_with(need_prefix)) listed.push_back(field.name.substr(need_prefix.size()));
                }
            } else {
                for (const auto& field : kind.fields) {
                    if (field.name.starts_with(need_prefix)) listed = field.values;
                }
            }
        } else {
            if (const FieldSpec* spec = countable_field(kind, names[d]); spec && spec->type == FieldType::enumeration) {
                listed = spec->values;
            }
            for (const auto& f : query.filters) {
                if (f.field == names[d]) filter = &f;
            }
        }
        table.dimensions.push_back({names[d], dimension_values(listed, present, filter)});
    }

    const std::size_t rows = table.dimensions.size() == 2 ? table.dimensions[0].values.size() : 1;
    const std::size_t cols = table.dimensions.back().values.size();
    if (rows * cols > max_table_cells) {
        throw InputError("this table would have " + std::to_string(rows * cols) + " cells, more than " +
                         std::to_string(max_table_cells) + ": group by fewer values or narrow it with filters");
    }
    std::vector<std::uint64_t> cells(rows * cols, 0);
    for (const auto& row : counts.rows) {
        const std::size_t c = index_of(table.dimensions.back().values, row.key.back());
        const std::size_t r = table.dimensions.size() == 2 ? index_of(table.dimensions[0].values, row.key[0]) : 0;
        if (r >= rows || c >= cols) throw Error("the store counted a value the table does not show");
        cells[r * cols + c] += row.count;
    }

    std::uint64_t total = 0;
    for (const auto n : cells) total += n;
    table.total.count = total;
    if (table.dimensions.size() == 1) {
        const Suppressed1D s = suppress_1d(cells, k_);
        for (std::size_t i = 0; i < cells.size(); ++i) table.cells.push_back({cells[i], s.cells[i]});
        table.total.suppressed = s.total;
    } else {
        const Suppressed2D s = suppress_2d(rows, cols, cells, k_);
        for (std::size_t i = 0; i < cells.size(); ++i) table.cells.push_back({cells[i], s.cells[i]});
        table.margins.resize(2);
        for (std::size_t r = 0; r < rows; ++r) {
            std::uint64_t sum = 0;
            for (std::size_t c = 0; c < cols; ++c) sum += cells[r * cols + c];
            table.margins[0].push_back({sum, s.row_totals[r]});
        }
        for (std::size_t c = 0; c < cols; ++c) {
            std::uint64_t sum = 0;
            for (std::size_t r = 0; r < rows; ++r) sum += cells[r * cols + c];
            table.margins[1].push_back({sum, s.col_totals[c]});
        }
        table.total.suppressed = s.total;
    }
    // A suppressed number leaves no trace in what is handed on.
    const auto hide = [](Figure& figure) {
        if (figure.suppressed) figure.count = 0;
    };
    std::for_each(table.cells.begin(), table.cells.end(), hide);
    for (auto& margin : table.margins) std::for_each(margin.begin(), margin.end(), hide);
    hide(table.total);
    return table;
}

}  // namespace kim::server::stats
