// Date arithmetic for the defaults of new records.
#include "field_defaults.hpp"

#include <cstdio>
#include <ctime>

#include "kim/shared/catalogue.hpp"

namespace kim::client {

using namespace std::chrono;

std::string quarter_of(year_month_day day) {
    const unsigned m = static_cast<unsigned>(day.month());
    return std::to_string(static_cast<int>(day.year())) + "-Q" + std::to_string((m - 1) / 3 + 1);
}

std::string iso_date(year_month_day day) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                  static_cast<unsigned>(day.day()));
    return buf;
}

// The local calendar day: a contact at 00:30 in Duisburg belongs to that day,
// and a case opened on New Year's night to the new quarter.
year_month_day today() {
    const std::time_t now = system_clock::to_time_t(system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    return year_month_day{year{local.tm_year + 1900}, month{static_cast<unsigned>(local.tm_mon + 1)},
                          day{static_cast<unsigned>(local.tm_mday)}};
}

std::optional<std::string> age_band(std::string_view birth_date, year_month_day on) {
    if (!is_iso_date(birth_date)) return std::nullopt;
    const int by = std::stoi(std::string(birth_date.substr(0, 4)));
    const unsigned bm = static_cast<unsigned>(std::stoi(std::string(birth_date.substr(5, 2))));
    const unsigned bd = static_cast<unsigned>(std::stoi(std::string(birth_date.substr(8, 2))));
    int age = static_cast<int>(on.year()) - by;
    const unsigned om = static_cast<unsigned>(on.month());
    const unsigned od = static_cast<unsigned>(on.day());
    if (om < bm || (om == bm && od < bd)) --age;
    if (age < 0) return std::nullopt;
    if (age < 18) return "under_18";
    if (age <= 26) return "18_26";
    if (age <= 44) return "27_44";
    if (age <= 64) return "45_64";
    return "65_plus";
}

}  // namespace kim::client
