// Counting for GET /v1/stats (PostgresStore::count_records), in one read
// snapshot, with the statement of count_sql.hpp.
#include <string>
#include <vector>

#include "../count_sql.hpp"
#include "postgres_store_impl.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

stats::Counts PostgresStore::count_records(const stats::CountQuery& query) {
    if (query.by.empty()) throw InputError("a count needs one dimension at least");
    const CountSql sql(query);
    auto conn = pool_.acquire();
    // One snapshot: the counts and as_of describe the same prefix of the log.
    pg::Transaction snapshot(*conn, pg::Transaction::Kind::snapshot_read);
    pg::Params params;
    for (const auto& p : sql.parameters(query)) params.text(p);
    const auto r = conn->query_once(sql.text(SqlDialect::postgres), params);
    const int columns = static_cast<int>(sql.columns());
    stats::Counts out;
    for (int i = 0; i < r.rows(); ++i) {
        stats::CountRow row;
        for (int c = 0; c < columns; ++c) {
            row.key.push_back(r.is_null(i, c) ? std::nullopt : std::optional<std::string>(r.text(i, c)));
        }
        row.count = static_cast<std::uint64_t>(r.integer(i, columns));
        out.rows.push_back(std::move(row));
    }
    out.as_of = log_tip(*conn).last_seq;
    return out;
}

}  // namespace kim::server
