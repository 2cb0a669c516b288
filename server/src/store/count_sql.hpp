// The statement behind GET /v1/stats (Store::count_records): records of one
// kind from `records`, their merged clear values from `stat_values`, erased
// records and the records of erased cases left out. Both backends run the
// same statement; only its placeholders and one join differ.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../stats/count_query.hpp"

namespace kim::server {

enum class SqlDialect { sqlite, postgres };

// The statement's text and its parameters in order of appearance. Every
// name and value from the query is a parameter, never part of the text.
// Text comparisons are bytewise (SQLite's binary order; COLLATE "C" in PostgreSQL).
class CountSql {
public:
    explicit CountSql(const stats::CountQuery& q);

    std::string text(SqlDialect dialect) const;
    // The join parameters come first in the text, then the kind, then the filters'.
    std::vector<std::string> parameters(const stats::CountQuery& q) const;
    // The grouping columns; the count follows them.
    std::size_t columns() const { return columns_; }

private:
    void add_dimension(const std::string& dim, std::size_t i);
    void add_filter(const stats::Filter& f, std::size_t i);
    void column(const std::string& expr);

    std::string select_, joins_, where_;
    std::vector<std::string> join_params_, where_params_;
    std::size_t columns_ = 0;
};

}  // namespace kim::server
