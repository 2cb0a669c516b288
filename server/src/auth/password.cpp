// Argon2id password strings through libsodium.
#include "password.hpp"

#include <sodium.h>

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

}  // namespace kim::server
