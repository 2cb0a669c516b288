#include "count_sql.hpp"

namespace kim::server {

namespace {

// Field names in `stat_values` of the `need` dimension: need.<Handlungsfeld>.
// "need/" is the first text after every "need.…" in bytewise order.
constexpr std::string_view need_prefix = "need.";
constexpr std::string_view need_prefix_end = "need/";

std::string placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
    return out;
}

// PostgreSQL numbers its parameters: the n-th `?` becomes `$n`. No `?`
// appears in the text otherwise (every name and value is a parameter).
std::string numbered_placeholders(const std::string& text) {
    std::string out;
    int n = 0;
    for (char ch : text) {
        if (ch == '?') {
            out += "$" + std::to_string(++n);
        } else {
            out += ch;
        }
    }
    return out;
}

}  // namespace

CountSql::CountSql(const stats::CountQuery& q) {
    for (std::size_t i = 0; i < q.by.size(); ++i) add_dimension(q.by[i], i);
    for (std::size_t i = 0; i < q.filters.size(); ++i) add_filter(q.filters[i], i);
}

std::string CountSql::text(SqlDialect dialect) const {
    std::string group;
    for (std::size_t i = 1; i <= columns_; ++i) group += (i > 1 ? ", " : "") + std::to_string(i);
    // Records drive the query (records_by_kind), so that a record without
    // the field is counted under NULL. A record is left out when the log
    // erases it or its case (log_erasures, a partial index on erasures only).
    std::string text = "SELECT " + select_ + "COUNT(*) FROM records r" + joins_ +
                       " WHERE r.kind = ? AND NOT EXISTS (SELECT 1 FROM log e WHERE e.site = r.site AND e.erases = 1 "
                       "AND e.record IN (r.record, r.case_id))" +
                       where_ + " GROUP BY " + group;
    if (dialect == SqlDialect::sqlite) return text;
    // PostgreSQL takes no ON after CROSS JOIN, and orders its joins itself.
    for (auto at = text.find("CROSS JOIN"); at != std::string::npos; at = text.find("CROSS JOIN", at)) {
        text.replace(at, 10, "JOIN");
    }
    return numbered_placeholders(text);
}

std::vector<std::string> CountSql::parameters(const stats::CountQuery& q) const {
    std::vector<std::string> all = join_params_;
    all.push_back(q.kind);
    all.insert(all.end(), where_params_.begin(), where_params_.end());
    return all;
}

void CountSql::add_dimension(const std::string& dim, std::size_t i) {
    if (dim == stats::dimension_site) {
        column("r.site");
    } else if (dim == stats::dimension_need) {
        // Inner join: one row per need the case has. CROSS JOIN keeps the
        // records as the outer loop (SQLite does not reorder it).
        const std::string n = "n" + std::to_string(i);
        joins_ += " CROSS JOIN stat_values " + n + " ON " + n + ".site = r.site AND " + n + ".record = r.record AND " +
                  n + ".field > ? AND " + n + ".field < ?";
        join_params_.emplace_back(need_prefix);
        join_params_.emplace_back(need_prefix_end);
        column("substr(" + n + ".field, " + std::to_string(need_prefix.size() + 1) + ")");
        column(n + ".value");
    } else {
        const std::string v = "v" + std::to_string(i);
        joins_ += " LEFT JOIN stat_values " + v + " ON " + v + ".site = r.site AND " + v + ".record = r.record AND " + v +
                  ".field = ?";
        join_params_.push_back(dim);
        column(v + ".value");
    }
}

void CountSql::add_filter(const stats::Filter& f, std::size_t i) {
    const std::string not_ = f.exclude ? "NOT " : "";
    if (f.field == stats::dimension_site) {
        where_ += " AND r.site " + not_ + "IN (" + placeholders(f.values.size()) + ")";
    } else {
        // A record without the field has no row: it fails an inclusion
        // and passes an exclusion, as the protocol says.
        const std::string t = "f" + std::to_string(i);
        where_ += " AND " + not_ + "EXISTS (SELECT 1 FROM stat_values " + t + " WHERE " + t + ".site = r.site AND " + t +
                  ".record = r.record AND " + t + ".field = ? AND " + t + ".value IN (" + placeholders(f.values.size()) +
                  "))";
        where_params_.push_back(f.field);
    }
    where_params_.insert(where_params_.end(), f.values.begin(), f.values.end());
}

void CountSql::column(const std::string& expr) {
    select_ += expr + ", ";
    ++columns_;
}

}  // namespace kim::server
