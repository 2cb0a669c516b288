// The introduction a replica pushes along with its changes (wire-format.md
// "The change file"): the server cannot check its MAC (it has no site key),
// but it checks that it names the caller and the caller's enrolled key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "../auth/caller.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::server {

// The introduction as stored and relayed (compact JSON with exactly
// "replica", "public_key" and "mac"); InputError naming the problem otherwise.
std::string checked_introduction(const nlohmann::json& introduction, const Caller& caller,
                                 const crypto::PublicKey& enrolled_key);

}  // namespace kim::server
