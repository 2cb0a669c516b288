// Errors of push and pull that the HTTP layer maps to their own status.
#pragma once

#include "kim/shared/errors.hpp"

namespace kim::server {

// A request over a protocol bound (more than protocol::max_push_changes
// changes in one push): HTTP 413 `too_large`. Nothing was stored; the client
// splits its batch.
class TooLargeError : public InputError {
public:
    using InputError::InputError;
};

}  // namespace kim::server
