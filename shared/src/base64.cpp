// Base64 through libsodium's constant-time codec, original alphabet with padding.
#include "kim/shared/base64.hpp"

#include <sodium.h>

namespace kim {

void base64_append(std::string& out, std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;  // libsodium's pointers must not be null
    const std::size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    const std::size_t at = out.size();
    out.resize(at + len);
    sodium_bin2base64(out.data() + at, len, bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(at + len - 1);  // drop the terminating NUL
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    base64_append(out, bytes);
    return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    if (text.empty()) return Bytes{};  // libsodium's pointers must not be null
    Bytes out(text.size() / 4 * 3);
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        return std::nullopt;
    }
    if (end != text.data() + text.size()) return std::nullopt;
    out.resize(written);
    // Refuse non-canonical encodings (stray bits in the last character), so
    // that one byte string has exactly one text form. libsodium has checked
    // the alphabet and the padding: only the last group of four characters
    // can differ from the canonical form, so only it is encoded again (a
    // whole text of four or more characters holds at least one byte).
    const std::size_t tail = written % 3 == 0 ? 3 : written % 3;
    if (base64_encode(std::span<const std::uint8_t>(out).last(tail)) != text.substr(text.size() - 4)) return std::nullopt;
    return out;
}

}  // namespace kim
