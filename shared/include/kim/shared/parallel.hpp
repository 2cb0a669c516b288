// Spreading independent, CPU-bound work over the machine's cores: the
// auditor's checks, and the signature checks of a pushed batch or a pulled
// page (docs/decisions.md 111).
#pragma once

#include <cstddef>
#include <functional>

namespace kim {

// Calls work_on(i) for i in [0, count) on `threads` threads (the caller's
// included), each claiming `block` indexes at a time. An exception thrown on
// any thread stops the others from claiming more and is thrown again here,
// on the calling thread, once every thread has finished (never
// std::terminate). work_on must write only its own slot: nothing else is
// synchronised. When a thread cannot be started, fewer do the same work.
void for_each_parallel(std::size_t count, unsigned threads, std::size_t block,
                       const std::function<void(std::size_t)>& work_on);

// The threads worth starting for `count` items of about equal cost: one per
// `min_per_thread` items, at most one per core and at most 8 (a server with
// many cores serves many requests at once). 1 for a small batch: a thread's
// start would cost more than it saves.
unsigned parallel_threads(std::size_t count, std::size_t min_per_thread);

// for_each_parallel for the checks of `count` changes (a hash and an Ed25519
// signature each, tens of microseconds): a thread per 32 changes at most, so
// that one small edit is checked on the caller's thread alone, each thread
// claiming 8 at a time. The server's push and the replica's pull and import.
void for_each_change_in_parallel(std::size_t count, const std::function<void(std::size_t)>& work_on);

}  // namespace kim
