// The dashboard's sign-in sessions, in memory only (docs/protocol.md
// "Dashboard sign-in").
#include "dashboard_sessions.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kim/shared/base64.hpp"
#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::server {

namespace {

// 32 random bytes in base64url without padding.
constexpr std::size_t session_id_chars = 43;

std::string base64url(std::span<const std::uint8_t> bytes) {
    std::string text = base64_encode(bytes);
    for (char& c : text) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

// The table is keyed by a hash of the id rather than the id itself: a lookup
// then reveals nothing through its timing about the ids held, and a memory
// dump holds no cookie that could be replayed.
std::string key_of(std::string_view id) {
    const Hash32 hash = crypto::blake2b256(as_bytes(id));
    return std::string(hash.begin(), hash.end());
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace

struct DashboardSessions::Impl {
    struct Entry {
        DashboardSession session;
        std::int64_t last_seen = 0;
    };

    std::function<std::int64_t()> now;
    std::mutex mutex;
    std::unordered_map<std::string, Entry> live;

    static bool alive(const Entry& entry, std::int64_t now_seconds) {
        return now_seconds < entry.session.expires_at && now_seconds - entry.last_seen < session_idle_seconds;
    }

    // Forgets ended sessions; at the cap, also the one unused the longest, so
    // that a flood of sign-ins cannot grow the table without bound.
    void make_room(std::int64_t now_seconds) {
        std::erase_if(live, [now_seconds](const auto& item) { return !alive(item.second, now_seconds); });
        if (live.size() < max_dashboard_sessions) return;
        const auto oldest = std::min_element(live.begin(), live.end(), [](const auto& a, const auto& b) {
            return a.second.last_seen < b.second.last_seen;
        });
        live.erase(oldest);
    }
};

DashboardSessions::DashboardSessions(std::function<std::int64_t()> now_seconds)
    : impl_(std::make_unique<Impl>()) {
    impl_->now = std::move(now_seconds);
    crypto::init();
}

DashboardSessions::~DashboardSessions() = default;

DashboardSession DashboardSessions::start(std::string_view name) {
    Hash32 random{};
    crypto::random_fill(random);
    DashboardSession session{base64url(random), std::string(name), 0};
    std::lock_guard lock(impl_->mutex);
    const std::int64_t now = impl_->now();
    session.expires_at = now + session_lifetime_seconds;
    impl_->make_room(now);
    impl_->live[key_of(session.id)] = Impl::Entry{session, now};
    return session;
}

std::optional<DashboardSession> DashboardSessions::find(std::string_view id) {
    if (id.size() != session_id_chars) return std::nullopt;
    const std::string key = key_of(id);
    std::lock_guard lock(impl_->mutex);
    const auto it = impl_->live.find(key);
    if (it == impl_->live.end()) return std::nullopt;
    const std::int64_t now = impl_->now();
    if (!Impl::alive(it->second, now)) {
        impl_->live.erase(it);
        return std::nullopt;
    }
    it->second.last_seen = now;
    return it->second.session;
}

void DashboardSessions::end(std::string_view id) {
    if (id.size() != session_id_chars) return;
    const std::string key = key_of(id);
    std::lock_guard lock(impl_->mutex);
    impl_->live.erase(key);
}

std::size_t DashboardSessions::size() {
    std::lock_guard lock(impl_->mutex);
    return impl_->live.size();
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    // RFC 6265 §4.2: "a=1; b=2". Browsers keep to it; other clients put tabs,
    // no space or quotes, which cost nothing to accept.
    while (!header.empty()) {
        const auto semicolon = header.find(';');
        const std::string_view pair = trimmed(header.substr(0, semicolon));
        header = semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
        const auto equals = pair.find('=');
        if (equals == std::string_view::npos) continue;
        if (trimmed(pair.substr(0, equals)) != name) continue;
        std::string_view value = trimmed(pair.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        // The first one wins: a browser sends the cookie of the most specific
        // path first.
        return std::string(value);
    }
    return std::nullopt;
}

}  // namespace kim::server
