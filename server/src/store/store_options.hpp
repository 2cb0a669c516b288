// How an opened store behaves, whichever the backend; the defaults suit the
// admin commands.
#pragma once

#include <cstdint>

#include "kim/shared/audit_protocol.hpp"

namespace kim::server {

inline constexpr std::uint64_t max_checkpoint_interval = 1'000'000;

struct StoreOptions {
    // A checkpoint is signed whenever server_seq reaches a multiple of this
    // (1..max_checkpoint_interval; `serve --checkpoint-every N`).
    std::uint64_t checkpoint_interval = protocol::default_checkpoint_interval;
};

// InputError for an option out of range.
void check_store_options(const StoreOptions& options);

}  // namespace kim::server
