// The coordinators' dashboard sessions (docs/protocol.md "Dashboard
// sign-in"): random ids held in memory only, named by the HttpOnly cookie
// `kim_session`. A session ends 8 hours after sign-in, after 30 minutes
// without a request, at sign-out, or when the server stops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kim/shared/hlc.hpp"

namespace kim::server {

inline constexpr const char* session_cookie_name = "kim_session";
inline constexpr std::int64_t session_lifetime_seconds = 8 * 3600;
inline constexpr std::int64_t session_idle_seconds = 30 * 60;
// Sessions held at once; at the cap a new one ends the one unused the longest
// (sign-ins are slow, Argon2id, so an honest server never gets near it).
inline constexpr std::size_t max_dashboard_sessions = 10'000;

struct DashboardSession {
    std::string id;          // 32 random bytes, base64url without padding
    std::string name;        // the coordinator
    std::int64_t expires_at = 0;  // seconds since 1970 (the 8-hour end)
};

class DashboardSessions {
public:
    explicit DashboardSessions(std::function<std::int64_t()> now_seconds = system_seconds);
    ~DashboardSessions();
    DashboardSessions(const DashboardSessions&) = delete;
    DashboardSessions& operator=(const DashboardSessions&) = delete;

    // Thread-safe. A new session for a coordinator who proved the password.
    DashboardSession start(std::string_view name);
    // The live session the id names, its idle time restarted; nothing when
    // unknown, expired or idle too long (then it is forgotten).
    std::optional<DashboardSession> find(std::string_view id);
    // Ends the session if it exists.
    void end(std::string_view id);
    // The sessions held (live or not yet forgotten): for tests and metrics.
    std::size_t size();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// The value of cookie `name` in a Cookie header ("a=1; kim_session=xyz"),
// nothing when absent; the first when there are several; surrounding white
// space and double quotes removed.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace kim::server
