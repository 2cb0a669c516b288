// libsodium calls behind the kim::crypto interface.
#include "kim/shared/crypto.hpp"

#include <sodium.h>

#include "kim/shared/errors.hpp"

namespace kim::crypto {

void init() {
    if (sodium_init() < 0) throw Error("libsodium could not be initialised (no usable random source?)");
}

void random_fill(std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); }

Key32 random_key() {
    Key32 k;
    randombytes_buf(k.data(), k.size());
    return k;
}

Hash32 blake2b256(std::span<const std::uint8_t> data) {
    Hash32 h{};
    crypto_generichash(h.data(), h.size(), data.data(), data.size(), nullptr, 0);
    return h;
}

Hash32 blake2b256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    crypto_generichash_update(&st, a.data(), a.size());
    crypto_generichash_update(&st, b.data(), b.size());
    Hash32 h{};
    crypto_generichash_final(&st, h.data(), h.size());
    return h;
}

SigningKeyPair generate_signing_key() {
    SigningKeyPair kp;
    crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
    return kp;
}

PublicKey public_key_of(const SigningSecret& secret) {
    PublicKey pk{};
    crypto_sign_ed25519_sk_to_pk(pk.data(), secret.data());
    return pk;
}

Signature sign(const SigningSecret& secret, std::span<const std::uint8_t> message) {
    Signature sig{};
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret.data());
    return sig;
}

bool verify(const PublicKey& key, std::span<const std::uint8_t> message, const Signature& sig) {
    return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

Bytes aead_encrypt(const Key32& key, std::span<const std::uint8_t> plaintext, std::string_view associated_data) {
    Bytes out(aead_nonce_size + plaintext.size() + aead_tag_size);
    randombytes_buf(out.data(), aead_nonce_size);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.data() + aead_nonce_size, &clen, plaintext.data(), plaintext.size(),
        reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(), nullptr,
        out.data(), key.data());
    out.resize(aead_nonce_size + clen);
    return out;
}

std::optional<Bytes> aead_decrypt(const Key32& key, std::span<const std::uint8_t> sealed,
                                  std::string_view associated_data) {
    if (sealed.size() < aead_nonce_size + aead_tag_size) return std::nullopt;
    Bytes out(sealed.size() - aead_nonce_size - aead_tag_size);
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            out.data(), &mlen, nullptr, sealed.data() + aead_nonce_size, sealed.size() - aead_nonce_size,
            reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(),
            sealed.data(), key.data()) != 0) {
        return std::nullopt;
    }
    out.resize(mlen);
    return out;
}

Hash32 mac(const Key32& key, std::span<const std::uint8_t> message) {
    static_assert(crypto_auth_BYTES == 32 && crypto_auth_KEYBYTES == 32);
    Hash32 tag{};
    crypto_auth(tag.data(), message.data(), message.size(), key.data());
    return tag;
}

bool mac_verify(const Key32& key, std::span<const std::uint8_t> message, const Hash32& tag) {
    return crypto_auth_verify(tag.data(), message.data(), message.size(), key.data()) == 0;
}

Key32 derive_subkey(const Key32& master, std::uint64_t id, std::string_view context) {
    if (context.size() != crypto_kdf_CONTEXTBYTES) throw Error("internal: a key derivation context has 8 characters");
    char ctx[crypto_kdf_CONTEXTBYTES];
    std::copy(context.begin(), context.end(), ctx);
    Key32 sub;
    crypto_kdf_derive_from_key(sub.data(), sub.size(), id, ctx, master.data());
    return sub;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kim::crypto
