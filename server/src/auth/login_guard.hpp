// Limits on the dashboard's password sign-in (docs/protocol.md "Dashboard
// sign-in"): failures counted per name and per address in a sliding window,
// and a cap on the Argon2id checks that run at once (64 MiB each).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kim/shared/hlc.hpp"

namespace kim::server {

struct LoginLimits {
    std::size_t failures_per_name = 5;
    std::size_t failures_per_address = 20;
    std::int64_t window_seconds = 15 * 60;
    std::size_t concurrent_checks = 2;
    // Names and addresses tracked (each kind): beyond it the entries without a
    // failure in the window are forgotten, then the quietest ones, so that a
    // spray of names or addresses costs bounded memory.
    std::size_t max_tracked_keys = 10'000;
};

class LoginGuard {
public:
    explicit LoginGuard(std::function<std::int64_t()> now_seconds = system_seconds, LoginLimits limits = {});
    ~LoginGuard();
    LoginGuard(const LoginGuard&) = delete;
    LoginGuard& operator=(const LoginGuard&) = delete;

    // One password check under way. Until it is resolved it counts as a
    // failure in waiting, so that checks running side by side cannot carry a
    // name or an address past its limit. Resolve it with failed() or
    // succeeded(); dropped unresolved (an exception on the way), it counts as
    // neither.
    class Attempt {
    public:
        Attempt(Attempt&& other) noexcept;
        Attempt& operator=(Attempt&&) = delete;
        ~Attempt();
        // The name or the password was wrong: counted for the name and the address.
        void failed();
        // The password was right: the name's failures are forgotten (the
        // address's are not, or one account of one's own would unlock it).
        void succeeded();

    private:
        friend class LoginGuard;
        Attempt(LoginGuard* guard, std::string name, std::string address);
        void release(bool failure, bool clear_name);

        LoginGuard* guard_;
        std::string name_;     // key; empty: not tracked
        std::string address_;  // key; empty: not tracked
    };

    // Thread-safe. TooManyAttemptsError (with the seconds until the oldest
    // failure that blocks leaves the window) when the name or the address is
    // at its limit; then BusyError when limits.concurrent_checks passwords
    // are being checked. `name` empty: not a possible user name, counted for
    // the address only. `address` as Request::remote_address (an IPv6 address
    // counts for its /64 network, which one client usually holds whole).
    Attempt begin(std::string_view name, std::string_view remote_address);

    // For tests: names and addresses tracked, checks under way.
    std::size_t tracked_keys();
    std::size_t checks_in_progress();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// The key an address is counted under: IPv4 as it is, IPv6 its /64 prefix
// ("2001:db8:1:2::/64"), an IPv4-mapped IPv6 address its IPv4 address, and
// anything unparseable as it is (cut to 64 bytes).
std::string login_address_key(std::string_view remote_address);

}  // namespace kim::server
