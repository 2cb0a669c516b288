// GET /v1/stats (docs/protocol.md "Statistics"): checks a coordinator's
// question against the catalogue, has the store count, lays the counts out
// as a full table (every value of every dimension, margins, total) and
// suppresses small cells and those that would give them away.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../auth/caller.hpp"
#include "../store/store.hpp"
#include "count_query.hpp"
#include "kim/shared/catalogue.hpp"

namespace kim::server::stats {

inline constexpr std::uint64_t default_k = 3;
// k = 1 would publish every cell; a server that wants that has no business
// with this endpoint. The upper bound only catches typing mistakes.
inline constexpr std::uint64_t min_k = 2;
inline constexpr std::uint64_t max_k = 1000;
// Larger tables are refused: no coordinator reads them, and their secondary
// suppression would hold a serving thread for seconds.
inline constexpr std::size_t max_table_cells = 2500;

// A published number: the count, or nothing when suppressed.
struct Figure {
    std::uint64_t count = 0;
    bool suppressed = false;
};

struct Dimension {
    std::string name;                               // "site", a field, or "need"/"level"
    std::vector<std::optional<std::string>> values; // nullopt: records without a value
};

struct Table {
    std::string count;             // the `count` parameter: "cases", "referrals", …
    std::vector<std::string> by;   // as asked ("need" for the need table)
    std::vector<Filter> filters;
    std::uint64_t k = default_k;
    std::uint64_t as_of = 0;
    std::vector<Dimension> dimensions;         // 1 or 2
    std::vector<Figure> cells;                 // cross product, last dimension fastest
    std::vector<std::vector<Figure>> margins;  // 2-D: one list per dimension, else empty
    Figure total;
};

// The query parameters of a request, percent-decoded, names to values.
using Parameters = std::map<std::string, std::string, std::less<>>;

class StatsService {
public:
    StatsService(Store& store, const Catalogue& catalogue, std::uint64_t k = default_k);

    // Needs the coordinator role (PermissionError otherwise). `parameters`
    // are count, by, format (ignored here: the handler's) and the filters;
    // InputError naming the parameter and what is allowed for anything else.
    Table table(const Caller& caller, const Parameters& parameters);

    std::uint64_t k() const { return k_; }

private:
    CountQuery query_of(const Parameters& parameters, std::string& count) const;
    void check_sites_are_known(const std::vector<Filter>& filters) const;

    Store& store_;
    const Catalogue& catalogue_;
    std::uint64_t k_;
};

}  // namespace kim::server::stats
