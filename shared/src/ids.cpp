// Random UUIDs and the syntax of names and change ids.
#include "kim/shared/ids.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "kim/shared/crypto.hpp"

namespace kim {

std::string random_uuid() {
    std::array<std::uint8_t, 16> b{};
    crypto::random_fill(b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(hex[b[i] >> 4]);
        out.push_back(hex[b[i] & 0x0f]);
    }
    return out;
}

bool is_uuid(std::string_view t) {
    if (t.size() != 36) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool is_valid_name(std::string_view t) {
    if (t.empty() || t.size() > 63) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0)) return false;
    }
    return true;
}

std::string ChangeId::str() const { return change_id(origin, seq); }

std::string change_id(std::string_view origin, std::uint64_t seq) {
    std::string out(origin);
    out.push_back(':');
    out += std::to_string(seq);
    return out;
}

std::optional<ChangeId> parse_change_id(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    ChangeId id{std::string(text.substr(0, colon)), 0};
    if (!is_valid_name(id.origin)) return std::nullopt;
    const auto digits = text.substr(colon + 1);
    if (digits.empty() || digits.size() > 19 || digits[0] == '0') return std::nullopt;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id.seq);
    if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
    return id;
}

}  // namespace kim
