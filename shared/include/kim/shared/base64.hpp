// Standard base64 with padding (RFC 4648 §4), strict on decode.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kim/shared/bytes.hpp"

namespace kim {

std::string base64_encode(std::span<const std::uint8_t> bytes);
// The same text, appended to `out` (no string of its own: for writers of
// larger texts such as the change envelope).
void base64_append(std::string& out, std::span<const std::uint8_t> bytes);

// Returns nothing unless `text` is canonical padded base64 (no white space,
// no trailing garbage).
std::optional<Bytes> base64_decode(std::string_view text);

// Decodes base64 that must hold exactly N bytes.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> base64_decode_fixed(std::string_view text) {
    auto bytes = base64_decode(text);
    if (!bytes || bytes->size() != N) return std::nullopt;
    std::array<std::uint8_t, N> out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

}  // namespace kim
