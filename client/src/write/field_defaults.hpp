// Calendar values the client fills in for people: the current quarter,
// today's date, and the age band derived from a date of birth.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kim::client {

std::string quarter_of(std::chrono::year_month_day day);
std::string iso_date(std::chrono::year_month_day day);
std::chrono::year_month_day today();
// The catalogue's age_band value for someone born on `birth_date` (YYYY-MM-DD).
std::optional<std::string> age_band(std::string_view birth_date, std::chrono::year_month_day on);

}  // namespace kim::client
