// Errors of authentication that the HTTP layer maps to their own status.
#pragma once

#include "kim/shared/errors.hpp"

namespace kim::server {

// The server is at a bound it keeps to protect itself (outstanding
// challenges): HTTP 503 `busy`. Nothing was done; the caller may retry later.
class BusyError : public Error {
public:
    using Error::Error;
};

}  // namespace kim::server
