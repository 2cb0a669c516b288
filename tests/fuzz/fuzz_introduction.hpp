// The introduction of a replica of fz-site, vouched for by the fixed site
// key: needs the client's key_ring.hpp (client/src), so apart from
// fuzz_support.hpp, for the targets and the generator that link kim_client.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "keys/key_ring.hpp"
#include "kim/shared/base64.hpp"

namespace kim::fuzz {

// {replica, public_key, mac} as kim sends it (the server only checks its form).
inline nlohmann::json introduction_json(std::string_view replica, const crypto::PublicKey& key) {
    const Hash32 mac = client::introduction_mac(fixed_site_key(), site, replica, key);
    return {{"replica", replica}, {"public_key", base64_encode(key)}, {"mac", base64_encode(mac)}};
}

}  // namespace kim::fuzz
