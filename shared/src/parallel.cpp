// for_each_parallel and parallel_threads (parallel.hpp).
#include "kim/shared/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace kim {

void for_each_parallel(std::size_t count, unsigned threads, std::size_t block,
                       const std::function<void(std::size_t)>& work_on) {
    block = std::max<std::size_t>(block, 1);
    // Small blocks taken in turn, not one fixed share per thread: a core that
    // another process holds for a while does not leave its share waiting.
    std::atomic<std::size_t> next{0};
    std::mutex failed_mutex;
    std::exception_ptr failed;
    auto work = [&] {
        try {
            for (;;) {
                const std::size_t begin = next.fetch_add(block);
                if (begin >= count) return;
                const std::size_t end = std::min(count, begin + block);
                for (std::size_t i = begin; i < end; ++i) work_on(i);
            }
        } catch (...) {
            next.store(count);
            const std::lock_guard lock(failed_mutex);
            if (!failed) failed = std::current_exception();
        }
    };
    const std::size_t helpers = std::min<std::size_t>(threads > 0 ? threads - 1 : 0, count / block);
    {
        std::vector<std::jthread> pool;
        pool.reserve(helpers);
        for (std::size_t i = 0; i < helpers; ++i) {
            try {
                pool.emplace_back(work);
            } catch (const std::system_error&) {
                break;  // no thread to be had (a process limit): fewer hands, same work
            }
        }
        work();
    }  // joined here
    if (failed) std::rethrow_exception(failed);
}

unsigned parallel_threads(std::size_t count, std::size_t min_per_thread) {
    constexpr std::size_t max_threads = 8;
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t wanted = count / std::max<std::size_t>(1, min_per_thread);
    return static_cast<unsigned>(std::max<std::size_t>(1, std::min({cores, max_threads, wanted})));
}

void for_each_change_in_parallel(std::size_t count, const std::function<void(std::size_t)>& work_on) {
    constexpr std::size_t min_changes_per_thread = 32;
    constexpr std::size_t changes_per_claim = 8;
    for_each_parallel(count, parallel_threads(count, min_changes_per_thread), changes_per_claim, work_on);
}

}  // namespace kim
