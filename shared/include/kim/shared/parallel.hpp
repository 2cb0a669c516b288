// Spreading independent, CPU-bound work over the machine's cores: the
// signature checks of a pushed batch or a pulled page (docs/decisions.md 111).
#pragma once

#include <cstddef>
#include <functional>

namespace kim {

// Runs work(i) once for every i in [0, count), on the calling thread and, when
// there are at least 2 * min_per_thread items, on up to one more thread per
// further core (8 threads at most). Returns when all are done; the first exception thrown by work
// is rethrown then (the other items still run). work must not touch shared
// state without its own synchronisation: each i should write only its own slot.
void for_each_index_in_parallel(std::size_t count, std::size_t min_per_thread,
                                const std::function<void(std::size_t)>& work);

}  // namespace kim
