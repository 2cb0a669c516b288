// The replica's secrets once unlocked: the site key and the signing key.
// At rest both are sealed under a key derived from the passphrase (Argon2id).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/passphrase_key.hpp"

namespace kim::client {

struct KeyRing {
    Key32 site_key;
    crypto::SigningSecret signing_key;
    crypto::PublicKey public_key{};
};

// Seals both secrets under one passphrase derivation; the result is what
// the meta table stores under `sealed_keys`.
nlohmann::json seal_key_ring(const KeyRing& keys, std::string_view replica, std::string_view passphrase,
                             const KdfParams& params);
// Throws AuthError("wrong passphrase ...") when the passphrase does not open them.
KeyRing open_key_ring(const nlohmann::json& sealed, std::string_view replica, std::string_view passphrase);

// The MAC by which a holder of the site key vouches that `public_key` is
// replica `replica` of `site` (used to accept its signatures offline).
Hash32 introduction_mac(const Key32& site_key, std::string_view site, std::string_view replica,
                        const crypto::PublicKey& public_key);
bool introduction_valid(const Key32& site_key, std::string_view site, std::string_view replica,
                        const crypto::PublicKey& public_key, const Hash32& mac);

// The site key sealed under a separate passphrase, to join a second replica.
// `known_replicas` lets a joining replica refuse an id already in use.
nlohmann::json seal_site_key_bundle(const Key32& site_key, std::string_view site, std::string_view passphrase,
                                    const KdfParams& params, const std::vector<std::string>& known_replicas);
std::vector<std::string> known_replicas_of_bundle(const nlohmann::json& bundle);
Key32 open_site_key_bundle(const nlohmann::json& bundle, std::string_view expected_site, std::string_view passphrase);

}  // namespace kim::client
