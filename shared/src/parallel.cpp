// for_each_index_in_parallel (parallel.hpp).
#include "kim/shared/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace kim {

void for_each_index_in_parallel(std::size_t count, std::size_t min_per_thread,
                                const std::function<void(std::size_t)>& work) {
    // A server with many cores serves many requests at once: one request
    // takes a few of them at most.
    constexpr std::size_t max_threads = 8;
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads = std::min({cores, max_threads, count / std::max<std::size_t>(1, min_per_thread)});
    if (threads <= 1) {
        for (std::size_t i = 0; i < count; ++i) work(i);
        return;
    }
    // Small blocks taken in turn, not one fixed share per thread: a core that
    // another process holds for a while does not leave its share waiting.
    constexpr std::size_t block = 8;
    std::atomic<std::size_t> next{0};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    const auto drain = [&] {
        for (;;) {
            const std::size_t from = next.fetch_add(block);
            if (from >= count) return;
            for (std::size_t i = from; i < std::min(count, from + block); ++i) {
                try {
                    work(i);
                } catch (...) {
                    const std::lock_guard lock(error_mutex);
                    if (!first_error) first_error = std::current_exception();
                }
            }
        }
    };
    std::vector<std::jthread> helpers;
    helpers.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) {
        try {
            helpers.emplace_back(drain);
        } catch (const std::system_error&) {
            break;  // no thread to be had (a process limit): fewer hands, same work
        }
    }
    drain();
    helpers.clear();  // joins
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace kim
