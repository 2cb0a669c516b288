// Errors of authentication that the HTTP layer maps to their own status.
#pragma once

#include <cstdint>
#include <string>

#include "kim/shared/errors.hpp"

namespace kim::server {

// The server is at a bound it keeps to protect itself (outstanding
// challenges, password checks under way): HTTP 503 `busy`. Nothing was done;
// the caller may retry later.
class BusyError : public Error {
public:
    using Error::Error;
};

// Too many failed sign-ins for a name or from an address (LoginGuard): HTTP
// 429 `too_many_attempts` with `Retry-After`. The password was not checked.
class TooManyAttemptsError : public Error {
public:
    TooManyAttemptsError(const std::string& message, std::int64_t retry_after_seconds)
        : Error(message), retry_after_seconds_(retry_after_seconds < 1 ? 1 : retry_after_seconds) {}

    // At least 1: when the caller may try again.
    std::int64_t retry_after_seconds() const { return retry_after_seconds_; }

private:
    std::int64_t retry_after_seconds_;
};

}  // namespace kim::server
