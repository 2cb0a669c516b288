// What the store counts for GET /v1/stats (docs/protocol.md "Statistics"):
// the records of one kind, grouped by one or two statistical fields, after
// filters, from the current (merged) value of each record's clear fields.
// Erased records, and every record of an erased case, are left out. The
// query is validated by the stats service before it reaches the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kim::server::stats {

// The dimension `site` is the record's site (not a field); `need` stands for
// two columns, the Handlungsfeld (the part of `need.X` after the dot) and the
// level, and is the only dimension of its query.
inline constexpr const char* dimension_site = "site";
inline constexpr const char* dimension_need = "need";

// `field` is in `values` (exclude = false), or is not (exclude = true; a
// record without the field then passes).
struct Filter {
    std::string field;  // a statistical field of the kind, or "site"
    bool exclude = false;
    std::vector<std::string> values;  // at least one
};

struct CountQuery {
    std::string kind;                // "case", "referral", "goal", "contact", "consent"
    std::vector<std::string> by;     // 1 or 2 dimensions; "need" alone
    std::vector<Filter> filters;     // all must hold
};

// One group: the key has one entry per output column (two for `need`);
// nullopt where the record has no value for that field.
struct CountRow {
    std::vector<std::optional<std::string>> key;
    std::uint64_t count = 0;
};

struct Counts {
    std::vector<CountRow> rows;  // groups with count > 0, in no particular order
    std::uint64_t as_of = 0;     // the log's last server_seq the counts include
};

}  // namespace kim::server::stats
