// Argon2id password strings through libsodium.
#include "password.hpp"

#include <sodium.h>

#include <cstring>
#include <vector>

#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

namespace {

// Characters, not bytes: a password of umlauts is no weaker for its length in UTF-8.
std::size_t utf8_characters(std::string_view text) {
    std::size_t n = 0;
    for (const char ch : text) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return n;
}

}  // namespace

std::string hash_password(std::string_view password) {
    crypto::init();
    if (utf8_characters(password) < min_password_chars) {
        throw InputError("the password must have at least " + std::to_string(min_password_chars) + " characters");
    }
    if (password.size() > max_password_bytes) {
        throw InputError("the password must have at most " + std::to_string(max_password_bytes) + " bytes");
    }
    char out[crypto_pwhash_STRBYTES];
    // The interactive cost: a login is checked online, and a slower setting
    // would let a burst of logins exhaust the server's memory.
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw Error("out of memory while hashing the password");
    }
    return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
    crypto::init();
    if (password.size() > max_password_bytes) return false;
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string unmatchable_password_hash() {
    crypto::init();
    // crypto_pwhash_str's own format: parameters, then salt and digest in
    // unpadded base64.
    const auto b64 = [](std::size_t n) {
        std::vector<unsigned char> bytes(n);
        randombytes_buf(bytes.data(), n);
        std::string text(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
        sodium_bin2base64(text.data(), text.size(), bytes.data(), n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
        text.resize(std::strlen(text.c_str()));
        return text;
    };
    return "$argon2id$v=19$m=" + std::to_string(crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024) +
           ",t=" + std::to_string(crypto_pwhash_OPSLIMIT_INTERACTIVE) + ",p=1$" + b64(crypto_pwhash_SALTBYTES) + "$" +
           b64(32);
}

}  // namespace kim::server
