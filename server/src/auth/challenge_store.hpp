// The outstanding auth challenges: single use, each alive for
// protocol::challenge_lifetime_seconds, at most a bounded number at once so
// that a flood of requests cannot exhaust memory.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kim::server {

inline constexpr std::size_t default_max_challenges = 10'000;

class ChallengeStore {
public:
    explicit ChallengeStore(std::size_t max_outstanding = default_max_challenges) : max_(max_outstanding) {}

    // Thread-safe. A fresh challenge (base64 of 32 random bytes) for
    // `identity`; BusyError when `max_outstanding` live ones exist already.
    std::string issue(std::string_view identity, std::int64_t now_seconds);
    // Thread-safe. Removes the challenge whatever the outcome (single use) and
    // says whether it was issued to `identity` and is still alive.
    bool redeem(std::string_view challenge, std::string_view identity, std::int64_t now_seconds);

    std::size_t outstanding();

private:
    struct Entry {
        std::string identity;
        std::int64_t expires_at = 0;
    };
    void prune(std::int64_t now_seconds);

    std::size_t max_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> live_;
    // Issue order, which is expiry order while the clock does not go back.
    std::deque<std::string> order_;
};

}  // namespace kim::server
