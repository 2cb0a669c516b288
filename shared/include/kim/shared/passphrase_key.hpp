// Keys derived from a person's passphrase (Argon2id) and secrets wrapped under them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"

namespace kim {

// Argon2id cost parameters, stored beside the salt so that they can be raised
// later without breaking existing replicas.
struct KdfParams {
    std::uint64_t opslimit = 0;
    std::uint64_t memlimit = 0;

    // libsodium's "interactive" profile (64 MiB, 2 passes): about 0.1 s here,
    // paid on every `kim` command that opens the replica.
    static KdfParams interactive();
    // The smallest parameters libsodium accepts. For tests that create
    // hundreds of replicas; never offered by the command line.
    static KdfParams minimal();
};

// A secret sealed under a passphrase: Argon2id(salt, params) -> key, then
// XChaCha20-Poly1305 with `purpose` as associated data.
struct PassphraseSealed {
    Bytes salt;
    KdfParams params;
    Bytes sealed;
};

nlohmann::json to_json(const PassphraseSealed& s);
PassphraseSealed passphrase_sealed_from_json(const nlohmann::json& j);

// Derives the wrapping key; throws InputError on parameters outside libsodium's limits.
Key32 derive_passphrase_key(std::string_view passphrase, std::span<const std::uint8_t> salt,
                            const KdfParams& params);

Bytes new_salt();

// Seals/opens `secret` under an already derived key.
Bytes seal_with_key(const Key32& key, std::span<const std::uint8_t> secret, std::string_view purpose);
// Throws AuthError if the key is wrong (i.e. the passphrase was wrong).
Bytes open_with_key(const Key32& key, std::span<const std::uint8_t> sealed, std::string_view purpose);

PassphraseSealed seal_with_passphrase(std::string_view passphrase, std::span<const std::uint8_t> secret,
                                      std::string_view purpose, const KdfParams& params);
Bytes open_with_passphrase(std::string_view passphrase, const PassphraseSealed& sealed, std::string_view purpose);

}  // namespace kim
