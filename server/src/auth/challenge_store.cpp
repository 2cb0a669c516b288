// Single-use challenges with expiry.
#include "challenge_store.hpp"

#include "auth_errors.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server {

void ChallengeStore::prune(std::int64_t now_seconds) {
    while (!order_.empty()) {
        const auto it = live_.find(order_.front());
        if (it != live_.end() && it->second.expires_at > now_seconds) break;
        if (it != live_.end()) live_.erase(it);
        order_.pop_front();
    }
    // Redeemed challenges leave their name in order_; drop the stale names
    // once they outnumber the live ones, so that order_ stays bounded too.
    if (order_.size() > 2 * live_.size() + 64) {
        std::deque<std::string> kept;
        for (auto& name : order_) {
            if (live_.contains(name)) kept.push_back(std::move(name));
        }
        order_ = std::move(kept);
    }
}

std::string ChallengeStore::issue(std::string_view identity, std::int64_t now_seconds) {
    Hash32 random{};
    crypto::random_fill(random);
    std::string challenge = base64_encode(random);
    std::lock_guard lock(mutex_);
    prune(now_seconds);
    if (live_.size() >= max_) {
        throw BusyError("too many sign-ins are under way; try again in a minute");
    }
    live_.emplace(challenge, Entry{std::string(identity), now_seconds + protocol::challenge_lifetime_seconds});
    order_.push_back(challenge);
    return challenge;
}

bool ChallengeStore::redeem(std::string_view challenge, std::string_view identity, std::int64_t now_seconds) {
    std::lock_guard lock(mutex_);
    const auto it = live_.find(std::string(challenge));
    if (it == live_.end()) return false;
    const Entry entry = std::move(it->second);
    live_.erase(it);
    prune(now_seconds);
    return entry.identity == identity && now_seconds < entry.expires_at;
}

std::size_t ChallengeStore::outstanding() {
    std::lock_guard lock(mutex_);
    return live_.size();
}

}  // namespace kim::server
