// Counting for GET /v1/stats (SqliteStore::count_records): records of one
// kind from `records`, their merged clear values from `stat_values`, erased
// records and the records of erased cases left out, in one read snapshot.
#include <string>
#include <vector>

#include "sqlite_store_impl.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

namespace {

// Field names in `stat_values` of the `need` dimension: need.<Handlungsfeld>.
// "need/" is the first text after every "need.…" in SQLite's binary order.
constexpr std::string_view need_prefix = "need.";
constexpr std::string_view need_prefix_end = "need/";

// The statement's text and its parameters in order of appearance. Every
// name and value from the query is a parameter, never part of the text.
class CountSql {
public:
    explicit CountSql(const stats::CountQuery& q) {
        for (std::size_t i = 0; i < q.by.size(); ++i) add_dimension(q.by[i], i);
        for (std::size_t i = 0; i < q.filters.size(); ++i) add_filter(q.filters[i], i);
    }

    std::string text() const {
        std::string group;
        for (std::size_t i = 1; i <= columns_; ++i) group += (i > 1 ? ", " : "") + std::to_string(i);
        // Records drive the query (records_by_kind), so that a record without
        // the field is counted under NULL. A record is left out when the log
        // erases it or its case (log_erasures, a partial index on erasures only).
        return "SELECT " + select_ + "COUNT(*) FROM records r" + joins_ +
               " WHERE r.kind = ? AND NOT EXISTS (SELECT 1 FROM log e WHERE e.site = r.site AND e.erases = 1 "
               "AND e.record IN (r.record, r.case_id))" +
               where_ + " GROUP BY " + group;
    }

    // The join parameters come first in the text, then the kind, then the filters'.
    std::vector<std::string> parameters(const stats::CountQuery& q) const {
        std::vector<std::string> all = join_params_;
        all.push_back(q.kind);
        all.insert(all.end(), where_params_.begin(), where_params_.end());
        return all;
    }

    std::size_t columns() const { return columns_; }

private:
    void add_dimension(const std::string& dim, std::size_t i) {
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
            joins_ += " LEFT JOIN stat_values " + v + " ON " + v + ".site = r.site AND " + v + ".record = r.record AND " +
                      v + ".field = ?";
            join_params_.push_back(dim);
            column(v + ".value");
        }
    }

    void add_filter(const stats::Filter& f, std::size_t i) {
        const std::string not_ = f.exclude ? "NOT " : "";
        if (f.field == stats::dimension_site) {
            where_ += " AND r.site " + not_ + "IN (" + placeholders(f.values.size()) + ")";
        } else {
            // A record without the field has no row: it fails an inclusion
            // and passes an exclusion, as the protocol says.
            const std::string t = "f" + std::to_string(i);
            where_ += " AND " + not_ + "EXISTS (SELECT 1 FROM stat_values " + t + " WHERE " + t + ".site = r.site AND " +
                      t + ".record = r.record AND " + t + ".field = ? AND " + t + ".value IN (" +
                      placeholders(f.values.size()) + "))";
            where_params_.push_back(f.field);
        }
        where_params_.insert(where_params_.end(), f.values.begin(), f.values.end());
    }

    void column(const std::string& expr) {
        select_ += expr + ", ";
        ++columns_;
    }

    static std::string placeholders(std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
        return out;
    }

    std::string select_, joins_, where_;
    std::vector<std::string> join_params_, where_params_;
    std::size_t columns_ = 0;
};

}  // namespace

stats::Counts SqliteStore::count_records(const stats::CountQuery& query) {
    if (query.by.empty()) throw InputError("a count needs one dimension at least");
    const CountSql sql(query);
    auto db = readers_.acquire();
    // One snapshot: the counts and as_of describe the same prefix of the log.
    ReadSnapshot snapshot(*db);
    stats::Counts out;
    sqlite::Statement st(*db, sql.text(), sqlite::Statement::Uncached{});
    const auto params = sql.parameters(query);
    for (std::size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
    const int columns = static_cast<int>(sql.columns());
    while (st.step()) {
        stats::CountRow row;
        for (int c = 0; c < columns; ++c) {
            row.key.push_back(st.is_null(c) ? std::nullopt : std::optional<std::string>(st.text(c)));
        }
        row.count = static_cast<std::uint64_t>(st.integer(columns));
        out.rows.push_back(std::move(row));
    }
    sqlite::Statement last(*db, "SELECT MAX(server_seq) FROM log");
    if (last.step() && !last.is_null(0)) out.as_of = static_cast<std::uint64_t>(last.integer(0));
    return out;
}

}  // namespace kim::server
