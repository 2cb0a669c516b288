// libsodium made ready once for a whole test executable, before any test runs.
#pragma once

#include "kim/shared/crypto.hpp"

namespace kim::test {

// A test that uses libsodium asserts this, so that the initialisation cannot
// be optimised away and a failed one shows as a failed test.
inline const bool sodium_ready = (kim::crypto::init(), true);

}  // namespace kim::test
