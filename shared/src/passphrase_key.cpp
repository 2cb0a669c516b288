// Argon2id key derivation and sealing of secrets under the derived key.
#include "kim/shared/passphrase_key.hpp"

#include <sodium.h>

#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace kim {

KdfParams KdfParams::interactive() {
    return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
KdfParams KdfParams::minimal() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }

Bytes new_salt() {
    Bytes salt(crypto_pwhash_SALTBYTES);
    crypto::random_fill(salt);
    return salt;
}

Key32 derive_passphrase_key(std::string_view passphrase, std::span<const std::uint8_t> salt,
                            const KdfParams& params) {
    if (salt.size() != crypto_pwhash_SALTBYTES) throw InputError("the stored key salt has the wrong size");
    // Capped at libsodium's "sensitive" profile: stored parameters may come
    // from a crafted file, and must not make opening it run for hours.
    if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN || params.opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        params.memlimit < crypto_pwhash_MEMLIMIT_MIN || params.memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE) {
        throw InputError("the stored key-derivation parameters are outside the allowed range");
    }
    Key32 key;
    if (crypto_pwhash(key.data(), key.size(), passphrase.data(), passphrase.size(), salt.data(),
                      params.opslimit, static_cast<std::size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw Error("deriving the key from the passphrase ran out of memory");
    }
    return key;
}

Bytes seal_with_key(const Key32& key, std::span<const std::uint8_t> secret, std::string_view purpose) {
    return crypto::aead_encrypt(key, secret, purpose);
}

Bytes open_with_key(const Key32& key, std::span<const std::uint8_t> sealed, std::string_view purpose) {
    auto plain = crypto::aead_decrypt(key, sealed, purpose);
    if (!plain) throw AuthError("wrong passphrase");
    return std::move(*plain);
}

PassphraseSealed seal_with_passphrase(std::string_view passphrase, std::span<const std::uint8_t> secret,
                                      std::string_view purpose, const KdfParams& params) {
    PassphraseSealed out{new_salt(), params, {}};
    const Key32 key = derive_passphrase_key(passphrase, out.salt, params);
    out.sealed = seal_with_key(key, secret, purpose);
    return out;
}

Bytes open_with_passphrase(std::string_view passphrase, const PassphraseSealed& sealed, std::string_view purpose) {
    const Key32 key = derive_passphrase_key(passphrase, sealed.salt, sealed.params);
    return open_with_key(key, sealed.sealed, purpose);
}

nlohmann::json to_json(const PassphraseSealed& s) {
    return {{"kdf", "argon2id13"},
            {"salt", base64_encode(s.salt)},
            {"opslimit", s.params.opslimit},
            {"memlimit", s.params.memlimit},
            {"sealed", base64_encode(s.sealed)}};
}

PassphraseSealed passphrase_sealed_from_json(const nlohmann::json& j) {
    try {
        if (j.at("kdf").get<std::string>() != "argon2id13") throw InputError("unknown key-derivation function");
        auto salt = base64_decode(j.at("salt").get<std::string>());
        auto sealed = base64_decode(j.at("sealed").get<std::string>());
        if (!salt || !sealed) throw InputError("sealed key: bad base64");
        return {*salt, {j.at("opslimit").get<std::uint64_t>(), j.at("memlimit").get<std::uint64_t>()}, *sealed};
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("sealed key is malformed: ") + e.what());
    }
}

}  // namespace kim
