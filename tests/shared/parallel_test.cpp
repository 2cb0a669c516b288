// for_each_parallel: every index once, on more than one thread when asked,
// and an exception on any thread reaches the caller; parallel_threads.
#include "kim/shared/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

TEST(parallel, runs_every_index_exactly_once) {
    for (const unsigned threads : {1u, 2u, 4u}) {
        for (const std::size_t count : {0u, 1u, 7u, 64u, 1000u}) {
            std::vector<std::atomic<int>> runs(count);
            kim::for_each_parallel(count, threads, 8, [&](std::size_t i) { runs[i].fetch_add(1); });
            for (std::size_t i = 0; i < count; ++i) {
                EXPECT_EQ(runs[i].load(), 1) << "index " << i << " of " << count << " on " << threads << " threads";
            }
        }
    }
}

TEST(parallel, work_is_shared_with_another_thread) {
    std::mutex m;
    std::set<std::thread::id> threads;
    const auto seen = [&] {
        const std::lock_guard lock(m);
        return threads.size();
    };
    // The first index waits (up to 10 s) until another thread took a block:
    // without a second thread that wait runs out and the check below fails.
    kim::for_each_parallel(4096, 2, 8, [&](std::size_t i) {
        {
            const std::lock_guard lock(m);
            threads.insert(std::this_thread::get_id());
        }
        if (i != 0) return;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (seen() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    });
    EXPECT_EQ(seen(), 2u);
}

TEST(parallel, an_exception_on_any_thread_reaches_the_caller_and_stops_the_rest) {
    for (const unsigned threads : {1u, 4u}) {
        std::atomic<std::size_t> done{0};
        EXPECT_THROW(kim::for_each_parallel(10'000, threads, 16,
                                            [&](std::size_t i) {
                                                if (i == 5'000) throw std::runtime_error("boom");
                                                ++done;
                                            }),
                     std::runtime_error);
        EXPECT_LT(done.load(), 10'000u);
    }
}

TEST(parallel, threads_follow_the_work_and_the_cores) {
    EXPECT_EQ(kim::parallel_threads(0, 32), 1u);
    EXPECT_EQ(kim::parallel_threads(1, 32), 1u);
    EXPECT_EQ(kim::parallel_threads(63, 32), 1u);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    EXPECT_EQ(kim::parallel_threads(64, 32), std::min(2u, cores));
    EXPECT_EQ(kim::parallel_threads(1'000'000, 32), std::min(8u, cores));
}
