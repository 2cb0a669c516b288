// Bounds on what the client accepts from outside, so that no file can
// exhaust this laptop's memory.
#pragma once

#include <cstddef>

namespace kim::client {

// A change file larger than this is refused before it is read. Import holds
// the text, its parsed form and the decoded changes at once (about 4x).
inline constexpr std::size_t max_change_file_bytes = std::size_t{256} << 20;

}  // namespace kim::client
