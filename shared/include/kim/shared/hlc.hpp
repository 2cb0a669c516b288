// Hybrid logical clock: 48-bit milliseconds and a 16-bit counter in one integer.
#pragma once

#include <cstdint>
#include <functional>

namespace kim {

// hlc = milliseconds * 65536 + counter (DESIGN.md "Wire encoding").
constexpr std::uint64_t hlc_pack(std::uint64_t millis, std::uint64_t counter) {
    return (millis << 16) | (counter & 0xffffu);
}
constexpr std::uint64_t hlc_millis(std::uint64_t hlc) { return hlc >> 16; }
constexpr std::uint64_t hlc_counter(std::uint64_t hlc) { return hlc & 0xffffu; }
constexpr std::uint64_t hlc_max_millis = (std::uint64_t{1} << 48) - 1;

std::uint64_t system_millis();
// Wall-clock seconds since 1970 (enrolment times, token expiry).
std::int64_t system_seconds();

// How far ahead of the receiver's clock a change may be dated (DESIGN.md
// "Clocks"): beyond it, the writer's clock is wrong and the change is refused,
// so that one bad clock cannot drag every replica's clock along.
inline constexpr std::uint64_t max_clock_skew_millis = 10 * 60 * 1000;

// Not thread-safe: one clock per replica, used under the replica's write lock.
class HybridClock {
public:
    using MillisSource = std::function<std::uint64_t()>;

    explicit HybridClock(std::uint64_t last = 0, MillisSource now = system_millis);

    // The timestamp of a local event: greater than every timestamp issued or observed.
    std::uint64_t tick();
    // Takes note of a timestamp received from another replica.
    void observe(std::uint64_t remote);
    std::uint64_t last() const { return last_; }
    std::uint64_t now_millis() const { return now_(); }

private:
    std::uint64_t last_;
    MillisSource now_;
};

}  // namespace kim
