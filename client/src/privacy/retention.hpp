// Which closed cases are past the site's retention period (DESIGN.md "The
// case file": a closed case is erased a configured number of years after
// closure). Finding them changes nothing; Replica::erase does the erasing.
#pragma once

#include <cstdint>
#include <vector>

#include "../merge/merge_engine.hpp"
#include "kim/client/views.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::client {

// The moment (ms since 1970) at which a case closed at `closed_millis` has
// been closed for `years` calendar years (UTC); a closure on 29 February
// counts from 1 March in years without one.
std::uint64_t retention_deadline(std::uint64_t closed_millis, int years);

// Cases not erased whose shown phase is closed and whose closing change is at
// least `years` years older than `now_millis`; oldest closure first.
std::vector<RetentionDue> find_retention_due(sqlite::Database& db, MergeEngine& merge, int years, std::uint64_t now_millis);

}  // namespace kim::client
