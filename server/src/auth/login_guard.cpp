// Sliding-window failure counts and the cap on concurrent password checks.
#include "login_guard.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth_errors.hpp"

namespace kim::server {

namespace {

struct Entry {
    // Times of the newest failures, oldest first, at most the limit (older
    // ones can no longer decide anything).
    std::vector<std::int64_t> failures;
    std::size_t pending = 0;  // checks under way
};

using Table = std::unordered_map<std::string, Entry>;

void forget_old(Entry& entry, std::int64_t now, std::int64_t window) {
    const auto first_live = std::find_if(entry.failures.begin(), entry.failures.end(),
                                         [&](std::int64_t at) { return now - at < window; });
    entry.failures.erase(entry.failures.begin(), first_live);
}

// Seconds until `entry` is below `limit` again; 0 when it is already.
std::int64_t wait_for(Entry& entry, std::size_t limit, std::int64_t now, std::int64_t window) {
    forget_old(entry, now, window);
    if (entry.failures.size() + entry.pending < limit) return 0;
    // Blocked by checks under way as well: they end within a second or so.
    if (entry.failures.size() < limit) return 1;
    // At the limit by failures alone (never more are kept): the oldest must go.
    return std::max<std::int64_t>(1, entry.failures.front() + window - now);
}

}  // namespace

struct LoginGuard::Impl {
    std::function<std::int64_t()> now;
    LoginLimits limits;
    std::mutex mutex;
    Table names;
    Table addresses;
    std::size_t in_progress = 0;

    // The entry for `key`, made room for at the cap.
    Entry& entry(Table& table, const std::string& key, std::int64_t at) {
        if (const auto it = table.find(key); it != table.end()) return it->second;
        if (table.size() >= limits.max_tracked_keys) {
            for (auto it = table.begin(); it != table.end();) {
                forget_old(it->second, at, limits.window_seconds);
                const bool idle = it->second.failures.empty() && it->second.pending == 0;
                it = idle ? table.erase(it) : std::next(it);
            }
        }
        if (table.size() >= limits.max_tracked_keys) {
            // Still full of recent failures: forget the entry whose newest
            // failure is the oldest. A spray this large is an attack on many
            // names at once, which the per-address limit slows down anyway.
            const auto quietest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
                const auto newest = [](const Entry& e) { return e.failures.empty() ? 0 : e.failures.back(); };
                return newest(a.second) < newest(b.second);
            });
            table.erase(quietest);
        }
        return table[key];
    }

    void settle(Table& table, const std::string& key, bool failure, bool clear, std::int64_t at, std::size_t limit) {
        if (key.empty()) return;
        const auto found = table.find(key);
        if (found == table.end() && !failure) return;  // forgotten at the cap meanwhile
        Entry& e = found != table.end() ? found->second : entry(table, key, at);
        if (e.pending > 0) --e.pending;
        if (failure) {
            e.failures.push_back(at);
            if (e.failures.size() > limit) e.failures.erase(e.failures.begin());
        }
        if (clear) e.failures.clear();
        if (e.failures.empty() && e.pending == 0) table.erase(key);
    }
};

LoginGuard::LoginGuard(std::function<std::int64_t()> now_seconds, LoginLimits limits)
    : impl_(std::make_unique<Impl>()) {
    impl_->now = std::move(now_seconds);
    impl_->limits = limits;
}

LoginGuard::~LoginGuard() = default;

LoginGuard::Attempt LoginGuard::begin(std::string_view name, std::string_view remote_address) {
    const std::string address = remote_address.empty() ? std::string() : login_address_key(remote_address);
    std::lock_guard lock(impl_->mutex);
    auto& d = *impl_;
    const std::int64_t now = d.now();
    const std::int64_t window = d.limits.window_seconds;
    std::int64_t wait = 0;
    // Looked up without creating: a name that never failed costs no memory here.
    if (const auto it = d.names.find(std::string(name)); !name.empty() && it != d.names.end()) {
        wait = std::max(wait, wait_for(it->second, d.limits.failures_per_name, now, window));
    }
    if (const auto it = d.addresses.find(address); !address.empty() && it != d.addresses.end()) {
        wait = std::max(wait, wait_for(it->second, d.limits.failures_per_address, now, window));
    }
    if (wait > 0) {
        // Neither the name nor the address is repeated: the message goes back
        // to whoever asked, and a log line may quote it.
        throw TooManyAttemptsError("too many failed sign-ins for this name or from this address; try again in " +
                                       std::to_string(wait) + " seconds",
                                   wait);
    }
    if (d.in_progress >= d.limits.concurrent_checks) {
        throw BusyError("too many sign-ins are being checked at this moment; try again in a second");
    }
    ++d.in_progress;
    if (!name.empty()) ++d.entry(d.names, std::string(name), now).pending;
    if (!address.empty()) ++d.entry(d.addresses, address, now).pending;
    return Attempt(this, std::string(name), address);
}

std::size_t LoginGuard::tracked_keys() {
    std::lock_guard lock(impl_->mutex);
    return impl_->names.size() + impl_->addresses.size();
}

std::size_t LoginGuard::checks_in_progress() {
    std::lock_guard lock(impl_->mutex);
    return impl_->in_progress;
}

LoginGuard::Attempt::Attempt(LoginGuard* guard, std::string name, std::string address)
    : guard_(guard), name_(std::move(name)), address_(std::move(address)) {}

LoginGuard::Attempt::Attempt(Attempt&& other) noexcept
    : guard_(std::exchange(other.guard_, nullptr)), name_(std::move(other.name_)), address_(std::move(other.address_)) {}

LoginGuard::Attempt::~Attempt() { release(false, false); }

void LoginGuard::Attempt::failed() { release(true, false); }

void LoginGuard::Attempt::succeeded() { release(false, true); }

void LoginGuard::Attempt::release(bool failure, bool clear_name) {
    if (!guard_) return;
    auto& d = *guard_->impl_;
    std::lock_guard lock(d.mutex);
    const std::int64_t now = d.now();
    d.settle(d.names, name_, failure, clear_name, now, d.limits.failures_per_name);
    d.settle(d.addresses, address_, failure, false, now, d.limits.failures_per_address);
    --d.in_progress;
    guard_ = nullptr;
}

std::string login_address_key(std::string_view remote_address) {
    const std::string text(remote_address.substr(0, 64));
    std::array<unsigned char, 16> v6{};
    if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return text;
    static constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (std::equal(v4_mapped.begin(), v4_mapped.end(), v6.begin())) {
        if (inet_ntop(AF_INET, v6.data() + 12, out.data(), out.size()) == nullptr) return text;
        return out.data();
    }
    std::fill(v6.begin() + 8, v6.end(), 0);
    if (inet_ntop(AF_INET6, v6.data(), out.data(), out.size()) == nullptr) return text;
    return std::string(out.data()) + "/64";
}

}  // namespace kim::server
