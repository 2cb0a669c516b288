// Hybrid logical clock (Kulkarni et al.), packed as DESIGN.md specifies.
#include "kim/shared/hlc.hpp"

#include <algorithm>
#include <chrono>

#include "kim/shared/errors.hpp"

namespace kim {

std::uint64_t system_millis() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::int64_t system_seconds() {
    using namespace std::chrono;
    return static_cast<std::int64_t>(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

HybridClock::HybridClock(std::uint64_t last, MillisSource now) : last_(last), now_(std::move(now)) {}

std::uint64_t HybridClock::tick() {
    const std::uint64_t wall = std::min(now_(), hlc_max_millis);
    const std::uint64_t last_ms = hlc_millis(last_);
    if (wall > last_ms) {
        last_ = hlc_pack(wall, 0);
    } else if (hlc_counter(last_) < 0xffffu) {
        last_ += 1;
    } else {
        // The counter is exhausted within this millisecond: borrow the next one.
        if (last_ms >= hlc_max_millis) throw Error("the hybrid logical clock reached its maximum value");
        last_ = hlc_pack(last_ms + 1, 0);
    }
    return last_;
}

void HybridClock::observe(std::uint64_t remote) { last_ = std::max(last_, remote); }

}  // namespace kim
