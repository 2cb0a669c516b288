// Argon2id key derivation and secrets sealed under a passphrase.
#include "kim/shared/passphrase_key.hpp"

#include <gtest/gtest.h>

#include <sodium.h>

#include <string>

#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "sodium_ready.hpp"

namespace {

using kim::as_bytes;
using kim::Bytes;
using kim::KdfParams;

const std::string purpose = "kim site key v1";

Bytes some_secret() {
    Bytes s(32);
    kim::crypto::random_fill(s);
    return s;
}

TEST(passphrase_key, seal_and_open_round_trip) {
    ASSERT_TRUE(kim::test::sodium_ready);
    const Bytes secret = some_secret();
    const auto sealed = kim::seal_with_passphrase("correct horse battery staple", secret, purpose, KdfParams::minimal());
    EXPECT_EQ(sealed.salt.size(), std::size_t{crypto_pwhash_SALTBYTES});
    EXPECT_EQ(sealed.params.opslimit, KdfParams::minimal().opslimit);
    EXPECT_EQ(sealed.params.memlimit, KdfParams::minimal().memlimit);
    EXPECT_EQ(sealed.sealed.size(), secret.size() + kim::crypto::aead_nonce_size + kim::crypto::aead_tag_size);
    EXPECT_EQ(kim::open_with_passphrase("correct horse battery staple", sealed, purpose), secret);
}

TEST(passphrase_key, sealed_bytes_do_not_contain_the_secret) {
    const std::string secret = "0123456789abcdef0123456789abcdef";
    const auto sealed = kim::seal_with_passphrase("pw", as_bytes(secret), purpose, KdfParams::minimal());
    EXPECT_EQ(kim::to_string(sealed.sealed).find("0123456789abcdef"), std::string::npos);
}

TEST(passphrase_key, wrong_passphrase_is_an_auth_error) {
    const Bytes secret = some_secret();
    const auto sealed = kim::seal_with_passphrase("right", secret, purpose, KdfParams::minimal());
    EXPECT_THROW(kim::open_with_passphrase("wrong", sealed, purpose), kim::AuthError);
    EXPECT_THROW(kim::open_with_passphrase("Right", sealed, purpose), kim::AuthError);
    EXPECT_THROW(kim::open_with_passphrase("", sealed, purpose), kim::AuthError);
    try {
        kim::open_with_passphrase("wrong", sealed, purpose);
        FAIL() << "expected AuthError";
    } catch (const kim::AuthError& e) {
        EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos) << e.what();
    }
}

TEST(passphrase_key, wrong_purpose_does_not_open) {
    const auto sealed = kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal());
    EXPECT_THROW(kim::open_with_passphrase("pw", sealed, "kim signing key v1"), kim::AuthError);
}

TEST(passphrase_key, tampered_salt_or_ciphertext_does_not_open) {
    const auto sealed = kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal());
    auto bad_salt = sealed;
    bad_salt.salt[0] ^= 0x01;
    EXPECT_THROW(kim::open_with_passphrase("pw", bad_salt, purpose), kim::AuthError);
    auto bad_ct = sealed;
    bad_ct.sealed.back() ^= 0x01;
    EXPECT_THROW(kim::open_with_passphrase("pw", bad_ct, purpose), kim::AuthError);
}

TEST(passphrase_key, salts_are_random) {
    const auto a = kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal());
    const auto b = kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal());
    EXPECT_NE(a.salt, b.salt);
    EXPECT_NE(kim::new_salt(), kim::new_salt());
}

TEST(passphrase_key, derivation_is_deterministic_for_same_inputs) {
    const Bytes salt = kim::new_salt();
    const auto a = kim::derive_passphrase_key("pw", salt, KdfParams::minimal());
    const auto b = kim::derive_passphrase_key("pw", salt, KdfParams::minimal());
    EXPECT_TRUE(kim::crypto::constant_time_equal(a.span(), b.span()));
    const auto c = kim::derive_passphrase_key("pw2", salt, KdfParams::minimal());
    EXPECT_FALSE(kim::crypto::constant_time_equal(a.span(), c.span()));
    const auto d = kim::derive_passphrase_key("pw", salt, {KdfParams::minimal().opslimit + 1, KdfParams::minimal().memlimit});
    EXPECT_FALSE(kim::crypto::constant_time_equal(a.span(), d.span()));
}

TEST(passphrase_key, derivation_matches_libsodium_argon2id) {
    const Bytes salt(crypto_pwhash_SALTBYTES, 0x42);
    const auto params = KdfParams::minimal();
    const auto key = kim::derive_passphrase_key("pw", salt, params);
    unsigned char expected[32];
    ASSERT_EQ(crypto_pwhash(expected, sizeof expected, "pw", 2, salt.data(), params.opslimit,
                            static_cast<std::size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13),
              0);
    EXPECT_TRUE(kim::crypto::constant_time_equal(key.span(), std::span<const std::uint8_t>(expected, 32)));
}

TEST(passphrase_key, seal_and_open_with_derived_key) {
    const Bytes salt = kim::new_salt();
    const auto key = kim::derive_passphrase_key("pw", salt, KdfParams::minimal());
    const Bytes secret = some_secret();
    const Bytes sealed = kim::seal_with_key(key, secret, purpose);
    EXPECT_EQ(kim::open_with_key(key, sealed, purpose), secret);
    EXPECT_THROW(kim::open_with_key(kim::crypto::random_key(), sealed, purpose), kim::AuthError);
}

TEST(passphrase_key, profiles_are_ordered) {
    EXPECT_LT(KdfParams::minimal().memlimit, KdfParams::interactive().memlimit);
    EXPECT_EQ(KdfParams::interactive().memlimit, std::uint64_t{crypto_pwhash_MEMLIMIT_INTERACTIVE});
    EXPECT_EQ(KdfParams::interactive().opslimit, std::uint64_t{crypto_pwhash_OPSLIMIT_INTERACTIVE});
}

// Stored parameters may come from a crafted key bundle: above libsodium's
// "sensitive" profile they are refused instead of running for hours.
TEST(passphrase_key, parameters_above_the_sensitive_profile_are_refused) {
    const Bytes salt = kim::new_salt();
    const KdfParams min = KdfParams::minimal();
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {crypto_pwhash_OPSLIMIT_SENSITIVE + 1, min.memlimit}),
                 kim::InputError);
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {min.opslimit, crypto_pwhash_MEMLIMIT_SENSITIVE + 1}),
                 kim::InputError);
}

TEST(passphrase_key, json_round_trip) {
    const Bytes secret = some_secret();
    const auto sealed = kim::seal_with_passphrase("pw", secret, purpose, KdfParams::minimal());
    const nlohmann::json j = kim::to_json(sealed);
    EXPECT_EQ(j.at("kdf"), "argon2id13");
    EXPECT_EQ(j.at("salt"), kim::base64_encode(sealed.salt));
    EXPECT_EQ(j.at("opslimit"), sealed.params.opslimit);
    EXPECT_EQ(j.at("memlimit"), sealed.params.memlimit);
    EXPECT_EQ(j.at("sealed"), kim::base64_encode(sealed.sealed));

    const auto back = kim::passphrase_sealed_from_json(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(back.salt, sealed.salt);
    EXPECT_EQ(back.sealed, sealed.sealed);
    EXPECT_EQ(back.params.opslimit, sealed.params.opslimit);
    EXPECT_EQ(back.params.memlimit, sealed.params.memlimit);
    EXPECT_EQ(kim::open_with_passphrase("pw", back, purpose), secret);
}

TEST(passphrase_key, malformed_json_is_an_input_error) {
    const auto good = kim::to_json(kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal()));
    auto other_kdf = good;
    other_kdf["kdf"] = "scrypt";
    EXPECT_THROW(kim::passphrase_sealed_from_json(other_kdf), kim::InputError);
    auto missing = good;
    missing.erase("salt");
    EXPECT_THROW(kim::passphrase_sealed_from_json(missing), kim::InputError);
    auto bad_b64 = good;
    bad_b64["sealed"] = "not base64!";
    EXPECT_THROW(kim::passphrase_sealed_from_json(bad_b64), kim::InputError);
    auto bad_type = good;
    bad_type["opslimit"] = "2";
    EXPECT_THROW(kim::passphrase_sealed_from_json(bad_type), kim::InputError);
    EXPECT_THROW(kim::passphrase_sealed_from_json(nlohmann::json::array()), kim::InputError);
    EXPECT_THROW(kim::passphrase_sealed_from_json(nlohmann::json("text")), kim::InputError);
}

TEST(passphrase_key, params_outside_range_are_an_input_error) {
    const Bytes salt = kim::new_salt();
    const auto min = KdfParams::minimal();
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {min.opslimit - 1, min.memlimit}), kim::InputError);
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {min.opslimit, min.memlimit - 1}), kim::InputError);
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {min.opslimit, 0}), kim::InputError);
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {min.opslimit, (std::uint64_t{1} << 32) + 1}),
                 kim::InputError);
    EXPECT_THROW(kim::derive_passphrase_key("pw", salt, {UINT64_MAX, min.memlimit}), kim::InputError);
}

TEST(passphrase_key, stored_params_outside_range_refuse_to_open) {
    auto sealed = kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal());
    sealed.params.memlimit = 1;
    EXPECT_THROW(kim::open_with_passphrase("pw", sealed, purpose), kim::InputError);
}

TEST(passphrase_key, wrong_salt_size_is_an_input_error) {
    EXPECT_THROW(kim::derive_passphrase_key("pw", Bytes(15, 0), KdfParams::minimal()), kim::InputError);
    EXPECT_THROW(kim::derive_passphrase_key("pw", Bytes{}, KdfParams::minimal()), kim::InputError);
    auto sealed = kim::seal_with_passphrase("pw", some_secret(), purpose, KdfParams::minimal());
    sealed.salt.pop_back();
    EXPECT_THROW(kim::open_with_passphrase("pw", sealed, purpose), kim::InputError);
}

}  // namespace
