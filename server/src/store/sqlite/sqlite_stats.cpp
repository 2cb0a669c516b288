// Counting for GET /v1/stats (SqliteStore::count_records), in one read
// snapshot, with the statement of count_sql.hpp.
#include <string>
#include <vector>

#include "../count_sql.hpp"
#include "sqlite_store_impl.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

stats::Counts SqliteStore::count_records(const stats::CountQuery& query) {
    if (query.by.empty()) throw InputError("a count needs one dimension at least");
    const CountSql sql(query);
    auto db = readers_.acquire();
    // One snapshot: the counts and as_of describe the same prefix of the log.
    ReadSnapshot snapshot(*db);
    stats::Counts out;
    sqlite::Statement st(*db, sql.text(SqlDialect::sqlite), sqlite::Statement::Uncached{});
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
