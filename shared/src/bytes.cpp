// Wiping secrets from memory with libsodium's guaranteed-not-optimised-away zeroing.
#include "kim/shared/bytes.hpp"

#include <sodium.h>

namespace kim {

void secure_wipe(void* p, std::size_t n) { sodium_memzero(p, n); }

}  // namespace kim
