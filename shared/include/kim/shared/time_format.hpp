// Times as people and machines read them, in one place: every command line,
// export, log line and report formats its times through these.
#pragma once

#include <cstdint>
#include <string>

namespace kim {

// "2026-03-01T14:05:09Z" (UTC): for JSON and logs.
std::string utc_iso(std::int64_t seconds);
// "2026-03-01T14:05:09.123Z" (UTC), from milliseconds (a change's hlc time).
std::string utc_iso_millis(std::uint64_t millis);
// "2026-03-01" (UTC).
std::string utc_date(std::int64_t seconds);
// "2026-03-01 14:05 UTC": for people where the zone must be plain.
std::string utc_minutes(std::int64_t seconds);
// "2026-03-01 14:05" in this computer's time zone: for people at a desk.
std::string local_minutes(std::int64_t seconds);
// "14:05:09" in this computer's time zone: progress lines.
std::string local_clock(std::int64_t seconds);

}  // namespace kim
