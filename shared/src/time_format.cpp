// Time formatting (kim/shared/time_format.hpp).
#include "kim/shared/time_format.hpp"

#include <cstdio>
#include <ctime>

namespace kim {

namespace {

enum class Zone { utc, local };

std::string format(std::int64_t seconds, const char* pattern, Zone zone) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (zone == Zone::utc) {
        gmtime_r(&t, &tm);
    } else {
        localtime_r(&t, &tm);
    }
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
    return std::string(buf, n);
}

}  // namespace

std::string utc_iso(std::int64_t seconds) { return format(seconds, "%Y-%m-%dT%H:%M:%SZ", Zone::utc); }

std::string utc_iso_millis(std::uint64_t millis) {
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03uZ", static_cast<unsigned>(millis % 1000));
    return format(static_cast<std::int64_t>(millis / 1000), "%Y-%m-%dT%H:%M:%S", Zone::utc) + ms;
}

std::string utc_date(std::int64_t seconds) { return format(seconds, "%Y-%m-%d", Zone::utc); }

std::string utc_minutes(std::int64_t seconds) { return format(seconds, "%Y-%m-%d %H:%M UTC", Zone::utc); }

std::string local_minutes(std::int64_t seconds) { return format(seconds, "%Y-%m-%d %H:%M", Zone::local); }

std::string local_clock(std::int64_t seconds) { return format(seconds, "%H:%M:%S", Zone::local); }

}  // namespace kim
