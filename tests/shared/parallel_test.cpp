// for_each_index_in_parallel: every index once, on more than one thread when
// there is enough work, and an exception reaches the caller after the rest ran.
#include "kim/shared/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

TEST(parallel, runs_every_index_exactly_once) {
    for (const std::size_t count : {0u, 1u, 7u, 64u, 1000u}) {
        std::vector<std::atomic<int>> runs(count);
        kim::for_each_index_in_parallel(count, 4, [&](std::size_t i) { runs[i].fetch_add(1); });
        for (std::size_t i = 0; i < count; ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i << " of " << count;
    }
}

TEST(parallel, small_work_stays_on_the_calling_thread) {
    std::set<std::thread::id> threads;
    kim::for_each_index_in_parallel(10, 32, [&](std::size_t) { threads.insert(std::this_thread::get_id()); });
    EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(parallel, large_work_uses_the_cores) {
    if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one core";
    std::mutex m;
    std::set<std::thread::id> threads;
    const auto seen = [&] {
        const std::lock_guard lock(m);
        return threads.size();
    };
    // The first index waits (up to 10 s) until another thread took a block:
    // without a second thread that wait runs out and the check below fails.
    kim::for_each_index_in_parallel(4096, 8, [&](std::size_t i) {
        {
            const std::lock_guard lock(m);
            threads.insert(std::this_thread::get_id());
        }
        if (i != 0) return;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (seen() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    });
    EXPECT_GE(seen(), 2u);
}

TEST(parallel, an_exception_is_rethrown_after_all_indices_ran) {
    std::atomic<int> ran{0};
    EXPECT_THROW(kim::for_each_index_in_parallel(500, 8,
                                                 [&](std::size_t i) {
                                                     ran.fetch_add(1);
                                                     if (i == 17 || i == 300) throw std::runtime_error("index failed");
                                                 }),
                 std::runtime_error);
    EXPECT_EQ(ran.load(), 500);
}
