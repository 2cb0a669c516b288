// Passwords of users (`kim-server user add --password-stdin`): stored only as
// an Argon2id string (crypto_pwhash_str), which holds its salt and cost.
#pragma once

#include <string>
#include <string_view>

namespace kim::server {

inline constexpr std::size_t min_password_chars = 12;
inline constexpr std::size_t max_password_bytes = 1024;

// InputError if shorter than min_password_chars or longer than max_password_bytes.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view password, const std::string& hash);
// An Argon2id string with hash_password's cost, a random salt and a random
// digest: no password matches it, and checking one against it costs what
// checking a stored one costs. Made without running Argon2 (no 64 MiB, no
// delay), for names that have no password.
std::string unmatchable_password_hash();

}  // namespace kim::server
