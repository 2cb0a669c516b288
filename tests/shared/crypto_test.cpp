// The libsodium wrappers: hashing, signatures, AEAD, MAC and subkeys.
#include "kim/shared/crypto.hpp"

#include <gtest/gtest.h>

#include <string>

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "sodium_ready.hpp"

namespace {

namespace crypto = kim::crypto;
using kim::as_bytes;
using kim::Bytes;
using kim::Hash32;

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

TEST(crypto, init_can_be_called_twice) {
    ASSERT_TRUE(kim::test::sodium_ready);
    EXPECT_NO_THROW(crypto::init());
    EXPECT_NO_THROW(crypto::init());
}

TEST(crypto, blake2b256_of_empty_input_is_the_known_digest) {
    EXPECT_EQ(hex(crypto::blake2b256(Bytes{})), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

TEST(crypto, blake2b256_of_abc_is_the_known_digest) {
    // BLAKE2b-256("abc"), as published with the reference implementation's test vectors.
    EXPECT_EQ(hex(crypto::blake2b256(as_bytes("abc"))),
              "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(crypto, blake2b256_of_two_parts_equals_hash_of_concatenation) {
    const std::string a = "hamborn-a:1";
    const std::string b = "/0b6f-record/name";
    EXPECT_EQ(crypto::blake2b256(as_bytes(a), as_bytes(b)), crypto::blake2b256(as_bytes(a + b)));
    EXPECT_NE(crypto::blake2b256(as_bytes(a), as_bytes(b)), crypto::blake2b256(as_bytes(b + a)));
}

TEST(crypto, aead_round_trip) {
    const auto key = crypto::random_key();
    const std::string plain = "Ayşe Yılmaz, Duisburg-Marxloh";
    const Bytes sealed = crypto::aead_encrypt(key, as_bytes(plain), "hamborn-a:1/rec/name");
    EXPECT_EQ(sealed.size(), crypto::aead_nonce_size + plain.size() + crypto::aead_tag_size);
    const auto opened = crypto::aead_decrypt(key, sealed, "hamborn-a:1/rec/name");
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(kim::to_string(*opened), plain);
}

TEST(crypto, aead_round_trip_of_empty_plaintext) {
    const auto key = crypto::random_key();
    const Bytes sealed = crypto::aead_encrypt(key, Bytes{}, "ad");
    EXPECT_EQ(sealed.size(), crypto::aead_nonce_size + crypto::aead_tag_size);
    const auto opened = crypto::aead_decrypt(key, sealed, "ad");
    ASSERT_TRUE(opened.has_value());
    EXPECT_TRUE(opened->empty());
}

TEST(crypto, aead_ciphertext_does_not_contain_the_plaintext) {
    const auto key = crypto::random_key();
    const std::string plain = "Geburtsdatum 1990-04-17";
    const Bytes sealed = crypto::aead_encrypt(key, as_bytes(plain), "ad");
    const std::string sealed_text = kim::to_string(sealed);
    EXPECT_EQ(sealed_text.find("1990-04-17"), std::string::npos);
}

TEST(crypto, aead_refuses_wrong_associated_data) {
    const auto key = crypto::random_key();
    const Bytes sealed = crypto::aead_encrypt(key, as_bytes("secret"), "hamborn-a:1/rec/name");
    EXPECT_FALSE(crypto::aead_decrypt(key, sealed, "hamborn-a:1/rec/phone").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(key, sealed, "hamborn-a:2/rec/name").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(key, sealed, "").has_value());
}

TEST(crypto, aead_refuses_wrong_key) {
    const auto key = crypto::random_key();
    const auto other = crypto::random_key();
    const Bytes sealed = crypto::aead_encrypt(key, as_bytes("secret"), "ad");
    EXPECT_FALSE(crypto::aead_decrypt(other, sealed, "ad").has_value());
}

TEST(crypto, aead_refuses_any_flipped_byte) {
    const auto key = crypto::random_key();
    const Bytes sealed = crypto::aead_encrypt(key, as_bytes("secret value"), "ad");
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        Bytes tampered = sealed;
        tampered[i] ^= 0x01;
        EXPECT_FALSE(crypto::aead_decrypt(key, tampered, "ad").has_value()) << "flipped byte " << i;
    }
}

TEST(crypto, aead_refuses_truncated_input) {
    const auto key = crypto::random_key();
    const Bytes sealed = crypto::aead_encrypt(key, as_bytes("secret value"), "ad");
    EXPECT_FALSE(crypto::aead_decrypt(key, Bytes(sealed.begin(), sealed.end() - 1), "ad").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(key, Bytes(sealed.begin(), sealed.begin() + 39), "ad").has_value());
    EXPECT_FALSE(crypto::aead_decrypt(key, Bytes{}, "ad").has_value());
}

TEST(crypto, aead_nonces_differ_between_encryptions_of_same_plaintext) {
    const auto key = crypto::random_key();
    const Bytes a = crypto::aead_encrypt(key, as_bytes("same"), "ad");
    const Bytes b = crypto::aead_encrypt(key, as_bytes("same"), "ad");
    ASSERT_EQ(a.size(), b.size());
    EXPECT_NE(Bytes(a.begin(), a.begin() + crypto::aead_nonce_size),
              Bytes(b.begin(), b.begin() + crypto::aead_nonce_size));
    EXPECT_NE(a, b);
}

TEST(crypto, random_keys_differ) {
    const auto a = crypto::random_key();
    const auto b = crypto::random_key();
    EXPECT_FALSE(crypto::constant_time_equal(a.span(), b.span()));
}

TEST(crypto, sign_and_verify) {
    const auto kp = crypto::generate_signing_key();
    const std::string message = "canonical bytes";
    const auto sig = crypto::sign(kp.secret_key, as_bytes(message));
    EXPECT_TRUE(crypto::verify(kp.public_key, as_bytes(message), sig));
}

TEST(crypto, verify_refuses_other_message_key_or_signature) {
    const auto kp = crypto::generate_signing_key();
    const auto other = crypto::generate_signing_key();
    const std::string message = "canonical bytes";
    const auto sig = crypto::sign(kp.secret_key, as_bytes(message));
    EXPECT_FALSE(crypto::verify(kp.public_key, as_bytes("canonical bytez"), sig));
    EXPECT_FALSE(crypto::verify(other.public_key, as_bytes(message), sig));
    auto bad = sig;
    bad[10] ^= 0x80;
    EXPECT_FALSE(crypto::verify(kp.public_key, as_bytes(message), bad));
}

TEST(crypto, signatures_are_deterministic) {
    const auto kp = crypto::generate_signing_key();
    EXPECT_EQ(crypto::sign(kp.secret_key, as_bytes("m")), crypto::sign(kp.secret_key, as_bytes("m")));
    EXPECT_NE(crypto::sign(kp.secret_key, as_bytes("m")), crypto::sign(kp.secret_key, as_bytes("n")));
}

TEST(crypto, public_key_of_matches_the_generated_pair) {
    const auto kp = crypto::generate_signing_key();
    EXPECT_EQ(crypto::public_key_of(kp.secret_key), kp.public_key);
    const auto other = crypto::generate_signing_key();
    EXPECT_NE(other.public_key, kp.public_key);
}

TEST(crypto, derive_subkey_is_deterministic) {
    const auto master = crypto::random_key();
    const auto a = crypto::derive_subkey(master, 1, "kimsite_");
    const auto b = crypto::derive_subkey(master, 1, "kimsite_");
    EXPECT_TRUE(crypto::constant_time_equal(a.span(), b.span()));
    EXPECT_FALSE(crypto::constant_time_equal(a.span(), master.span()));
}

TEST(crypto, derive_subkey_depends_on_context_id_and_master) {
    const auto master = crypto::random_key();
    const auto base = crypto::derive_subkey(master, 1, "kimsite_");
    EXPECT_FALSE(crypto::constant_time_equal(base.span(), crypto::derive_subkey(master, 1, "kimcase_").span()));
    EXPECT_FALSE(crypto::constant_time_equal(base.span(), crypto::derive_subkey(master, 2, "kimsite_").span()));
    const auto other_master = crypto::random_key();
    EXPECT_FALSE(
        crypto::constant_time_equal(base.span(), crypto::derive_subkey(other_master, 1, "kimsite_").span()));
}

TEST(crypto, derive_subkey_refuses_context_of_wrong_length) {
    const auto master = crypto::random_key();
    EXPECT_THROW(crypto::derive_subkey(master, 1, "short"), kim::Error);
    EXPECT_THROW(crypto::derive_subkey(master, 1, "ninechars"), kim::Error);
}

TEST(crypto, mac_verifies_and_refuses_changes) {
    const auto key = crypto::random_key();
    const std::string message = "replica state";
    const Hash32 tag = crypto::mac(key, as_bytes(message));
    EXPECT_TRUE(crypto::mac_verify(key, as_bytes(message), tag));
    EXPECT_FALSE(crypto::mac_verify(key, as_bytes("replica statE"), tag));
    Hash32 bad = tag;
    bad[0] ^= 0x01;
    EXPECT_FALSE(crypto::mac_verify(key, as_bytes(message), bad));
    EXPECT_FALSE(crypto::mac_verify(crypto::random_key(), as_bytes(message), tag));
    EXPECT_EQ(crypto::mac(key, as_bytes(message)), tag);
}

TEST(crypto, constant_time_equal_compares_content_and_length) {
    const Bytes a = {1, 2, 3};
    const Bytes b = {1, 2, 3};
    const Bytes c = {1, 2, 4};
    const Bytes d = {1, 2};
    EXPECT_TRUE(crypto::constant_time_equal(a, b));
    EXPECT_FALSE(crypto::constant_time_equal(a, c));
    EXPECT_FALSE(crypto::constant_time_equal(a, d));
    EXPECT_TRUE(crypto::constant_time_equal(Bytes{}, Bytes{}));
}

TEST(crypto, secret_copies_hold_the_same_bytes) {
    const auto key = crypto::random_key();
    kim::Key32 copy;
    copy = key;
    EXPECT_TRUE(crypto::constant_time_equal(copy.span(), key.span()));
    kim::Key32 zero;
    const Bytes zeros(32, 0);
    EXPECT_TRUE(crypto::constant_time_equal(zero.span(), zeros));
}

}  // namespace
