// Thin wrappers over libsodium: hashing, signatures, AEAD, randomness.
// No home-made cryptography: every primitive is libsodium's.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "kim/shared/bytes.hpp"

namespace kim::crypto {

// Call once before any other function; safe to call again.
void init();

constexpr std::size_t public_key_size = 32;
constexpr std::size_t secret_key_size = 64;
constexpr std::size_t signature_size = 64;
constexpr std::size_t aead_nonce_size = 24;
constexpr std::size_t aead_tag_size = 16;

using PublicKey = std::array<std::uint8_t, public_key_size>;
using SigningSecret = Secret<secret_key_size>;
using Signature = std::array<std::uint8_t, signature_size>;

struct SigningKeyPair {
    PublicKey public_key{};
    SigningSecret secret_key;
};

void random_fill(std::span<std::uint8_t> out);
Key32 random_key();

// BLAKE2b-256 without a key.
Hash32 blake2b256(std::span<const std::uint8_t> data);
// BLAKE2b-256 of the concatenation a || b.
Hash32 blake2b256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

SigningKeyPair generate_signing_key();
PublicKey public_key_of(const SigningSecret& secret);
Signature sign(const SigningSecret& secret, std::span<const std::uint8_t> message);
bool verify(const PublicKey& key, std::span<const std::uint8_t> message, const Signature& sig);

// XChaCha20-Poly1305 IETF with a fresh random nonce; returns nonce || ciphertext || tag.
Bytes aead_encrypt(const Key32& key, std::span<const std::uint8_t> plaintext, std::string_view associated_data);
// Returns nothing when the key, the associated data or the bytes do not match.
std::optional<Bytes> aead_decrypt(const Key32& key, std::span<const std::uint8_t> sealed,
                                  std::string_view associated_data);

// HMAC-SHA-512-256 (crypto_auth) for local authenticity checks.
Hash32 mac(const Key32& key, std::span<const std::uint8_t> message);
bool mac_verify(const Key32& key, std::span<const std::uint8_t> message, const Hash32& tag);

// Derives an independent subkey for one purpose (crypto_kdf, BLAKE2b based).
// `context` must be exactly 8 characters.
Key32 derive_subkey(const Key32& master, std::uint64_t id, std::string_view context);

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace kim::crypto
