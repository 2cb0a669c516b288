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

}  // namespace kim::server
