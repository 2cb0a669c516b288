// Hybrid logical clock: packing, monotonicity under a fake wall clock, counters.
#include "kim/shared/hlc.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "kim/shared/errors.hpp"

namespace {

using kim::hlc_counter;
using kim::hlc_millis;
using kim::hlc_pack;
using kim::HybridClock;

// A wall clock the test moves by hand.
struct FakeClock {
    std::uint64_t now = 0;
    HybridClock::MillisSource source() {
        return [this] { return now; };
    }
};

TEST(hlc, packing_is_millis_times_65536_plus_counter) {
    EXPECT_EQ(hlc_pack(0, 0), 0u);
    EXPECT_EQ(hlc_pack(1, 0), 65536u);
    EXPECT_EQ(hlc_pack(1'700'000'000'000, 7), 1'700'000'000'000ull * 65536ull + 7ull);
    EXPECT_EQ(hlc_millis(hlc_pack(1'700'000'000'000, 7)), 1'700'000'000'000u);
    EXPECT_EQ(hlc_counter(hlc_pack(1'700'000'000'000, 7)), 7u);
    EXPECT_EQ(hlc_counter(hlc_pack(5, 0xffff)), 0xffffu);
    EXPECT_EQ(hlc_millis(hlc_pack(5, 0xffff)), 5u);
    // The counter is masked to 16 bits; it never spills into the milliseconds.
    EXPECT_EQ(hlc_pack(5, 0x10001), hlc_pack(5, 1));
    EXPECT_EQ(hlc_millis(hlc_pack(kim::hlc_max_millis, 0xffff)), kim::hlc_max_millis);
    EXPECT_EQ(hlc_pack(kim::hlc_max_millis, 0xffff), UINT64_MAX);
}

TEST(hlc, packed_order_is_millis_then_counter) {
    EXPECT_LT(hlc_pack(10, 0xffff), hlc_pack(11, 0));
    EXPECT_LT(hlc_pack(10, 1), hlc_pack(10, 2));
}

TEST(hlc, system_millis_is_plausible) {
    const auto ms = kim::system_millis();
    EXPECT_GT(ms, 1'600'000'000'000u);  // after September 2020
    EXPECT_LT(ms, kim::hlc_max_millis);
}

TEST(hlc, tick_takes_the_wall_clock_with_counter_zero) {
    FakeClock wall{1'000};
    HybridClock clock(0, wall.source());
    EXPECT_EQ(clock.tick(), hlc_pack(1'000, 0));
    wall.now = 2'000;
    EXPECT_EQ(clock.tick(), hlc_pack(2'000, 0));
    EXPECT_EQ(clock.last(), hlc_pack(2'000, 0));
}

TEST(hlc, counter_increments_within_the_same_millisecond) {
    FakeClock wall{1'000};
    HybridClock clock(0, wall.source());
    EXPECT_EQ(clock.tick(), hlc_pack(1'000, 0));
    EXPECT_EQ(clock.tick(), hlc_pack(1'000, 1));
    EXPECT_EQ(clock.tick(), hlc_pack(1'000, 2));
    wall.now = 1'001;
    EXPECT_EQ(clock.tick(), hlc_pack(1'001, 0));
}

TEST(hlc, monotonic_when_the_wall_clock_goes_backwards) {
    FakeClock wall{5'000};
    HybridClock clock(0, wall.source());
    const auto a = clock.tick();
    wall.now = 4'000;  // NTP step back
    const auto b = clock.tick();
    const auto c = clock.tick();
    EXPECT_GT(b, a);
    EXPECT_GT(c, b);
    EXPECT_EQ(hlc_millis(c), 5'000u);
    EXPECT_EQ(hlc_counter(c), 2u);
    wall.now = 5'001;
    EXPECT_EQ(clock.tick(), hlc_pack(5'001, 0));
}

TEST(hlc, strictly_increasing_over_a_jittery_clock) {
    FakeClock wall{10'000};
    HybridClock clock(0, wall.source());
    std::uint64_t previous = 0;
    const std::int64_t steps[] = {0, 1, -3, 0, 0, 7, -100, 2, 0, 500, -1, 0};
    for (int round = 0; round < 50; ++round) {
        for (const auto s : steps) {
            wall.now = static_cast<std::uint64_t>(static_cast<std::int64_t>(wall.now) + s);
            const auto t = clock.tick();
            ASSERT_GT(t, previous);
            previous = t;
        }
    }
}

TEST(hlc, starts_after_the_stored_last_value) {
    FakeClock wall{1'000};
    // A replica reopened with a stored clock ahead of the wall clock.
    HybridClock clock(hlc_pack(9'000, 4), wall.source());
    EXPECT_EQ(clock.tick(), hlc_pack(9'000, 5));
}

TEST(hlc, counter_overflow_borrows_the_next_millisecond) {
    FakeClock wall{1'000};
    HybridClock clock(hlc_pack(1'000, 0xfffe), wall.source());
    EXPECT_EQ(clock.tick(), hlc_pack(1'000, 0xffff));
    const auto next = clock.tick();
    EXPECT_EQ(next, hlc_pack(1'001, 0));
    EXPECT_EQ(hlc_millis(next), 1'001u);
    // Wall clock catching up to the borrowed millisecond continues the counter.
    wall.now = 1'001;
    EXPECT_EQ(clock.tick(), hlc_pack(1'001, 1));
}

TEST(hlc, exhausted_clock_throws_instead_of_wrapping) {
    FakeClock wall{1'000};
    HybridClock clock(hlc_pack(kim::hlc_max_millis, 0xffff), wall.source());
    EXPECT_THROW(clock.tick(), kim::Error);
    EXPECT_EQ(clock.last(), hlc_pack(kim::hlc_max_millis, 0xffff));
}

TEST(hlc, wall_clock_beyond_48_bits_is_clamped) {
    FakeClock wall{kim::hlc_max_millis + 10};
    HybridClock clock(0, wall.source());
    EXPECT_EQ(clock.tick(), hlc_pack(kim::hlc_max_millis, 0));
}

TEST(hlc, observe_of_a_remote_value_makes_tick_greater) {
    FakeClock wall{1'000};
    HybridClock clock(0, wall.source());
    clock.tick();
    const std::uint64_t remote = hlc_pack(50'000, 17);  // a replica whose clock runs ahead
    clock.observe(remote);
    const auto t = clock.tick();
    EXPECT_GT(t, remote);
    EXPECT_EQ(t, hlc_pack(50'000, 18));
}

TEST(hlc, observe_of_an_older_value_changes_nothing) {
    FakeClock wall{1'000};
    HybridClock clock(0, wall.source());
    const auto a = clock.tick();
    clock.observe(hlc_pack(10, 3));
    EXPECT_EQ(clock.last(), a);
    EXPECT_EQ(clock.tick(), hlc_pack(1'000, 1));
}

TEST(hlc, observe_then_wall_clock_overtakes) {
    FakeClock wall{1'000};
    HybridClock clock(0, wall.source());
    clock.observe(hlc_pack(2'000, 9));
    wall.now = 3'000;
    EXPECT_EQ(clock.tick(), hlc_pack(3'000, 0));
}

TEST(hlc, default_clock_uses_system_time) {
    HybridClock clock;
    const auto before = kim::system_millis();
    const auto t = clock.tick();
    const auto after = kim::system_millis();
    EXPECT_GE(hlc_millis(t), before);
    EXPECT_LE(hlc_millis(t), after);
    EXPECT_GT(clock.tick(), t);
}

}  // namespace
