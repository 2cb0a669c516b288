// Challenge–response sign-in, the bearer tokens and the role checks, with
// real keys, a real store and an injected clock.
#include "auth/auth_service.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include "auth/auth_errors.hpp"
#include "auth/challenge_store.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "error_message.hpp"
#include "server_test_support.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::AuthError;
using kim::protocol::Role;
using kim::server::AuthService;
using kim::test::TempDir;
using kim::test::TestReplica;

std::string sign_challenge(const kim::crypto::SigningSecret& key, const std::string& identity, const std::string& challenge) {
    return kim::base64_encode(kim::crypto::sign(key, kim::as_bytes(kim::protocol::auth_message(identity, challenge))));
}

class auth_service : public ::testing::Test {
protected:
    void SetUp() override {
        store = kim::test::fresh_store(dir);
        store->add_replica(a.enrolment());
        store->add_replica(other_site.enrolment());
        auth = std::make_unique<AuthService>(*store, [this] { return now; });
    }

    kim::protocol::TokenRequest answer(const std::string& identity, const kim::crypto::SigningSecret& key) {
        const auto c = auth->challenge({identity});
        return {identity, c.challenge, sign_challenge(key, identity, c.challenge)};
    }
    std::string token_of(const TestReplica& r) { return auth->token(answer(r.id(), r.secret_key())).token; }
    std::string sign_in_error(const kim::protocol::TokenRequest& request) {
        return kim::test::error_message_of<AuthError>([&] { auth->token(request); });
    }
    std::string authenticate_error(const std::string& header) {
        return kim::test::error_message_of<AuthError>([&] { auth->authenticate(header); });
    }

    TempDir dir;
    std::unique_ptr<kim::server::Store> store;
    std::unique_ptr<AuthService> auth;
    std::int64_t now = 1'767'225'600;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica other_site{"hochfeld-a", "hochfeld"};
};

TEST_F(auth_service, a_replica_signs_in_and_its_token_names_it) {
    const auto challenge = auth->challenge({"hamborn-a"});
    EXPECT_EQ(challenge.expires_in, 60);
    EXPECT_EQ(kim::base64_decode(challenge.challenge)->size(), 32u);
    const auto response = auth->token({"hamborn-a", challenge.challenge, sign_challenge(a.secret_key(), "hamborn-a", challenge.challenge)});
    EXPECT_EQ(response.identity, "hamborn-a");
    EXPECT_EQ(response.role, Role::replica);
    EXPECT_EQ(response.site, "hamborn");
    EXPECT_EQ(response.expires_at, now + 15 * 60);
    EXPECT_TRUE(response.token.starts_with("kim1."));

    const auto caller = auth->authenticate("Bearer " + response.token);
    EXPECT_EQ(caller.identity, "hamborn-a");
    EXPECT_EQ(caller.role, Role::replica);
    EXPECT_EQ(caller.site, "hamborn");
    EXPECT_EQ(auth->authenticate("bearer " + response.token).identity, "hamborn-a") << "the scheme is case-insensitive";
}

TEST_F(auth_service, a_challenge_is_single_use) {
    const auto request = answer("hamborn-a", a.secret_key());
    EXPECT_NO_THROW(auth->token(request));
    EXPECT_THROW(auth->token(request), AuthError);
}

TEST_F(auth_service, a_failed_attempt_uses_up_the_challenge) {
    auto request = answer("hamborn-a", a.secret_key());
    const std::string good = request.signature;
    request.signature = sign_challenge(other_site.secret_key(), "hamborn-a", request.challenge);
    EXPECT_THROW(auth->token(request), AuthError);
    request.signature = good;
    EXPECT_THROW(auth->token(request), AuthError) << "no second guess on one challenge";
}

TEST_F(auth_service, a_challenge_expires_after_sixty_seconds) {
    const auto request = answer("hamborn-a", a.secret_key());
    now += 60;
    EXPECT_THROW(auth->token(request), AuthError);
    const auto fresh = answer("hamborn-a", a.secret_key());
    now += 59;
    EXPECT_NO_THROW(auth->token(fresh));
}

TEST_F(auth_service, a_challenge_is_bound_to_its_identity) {
    const auto c = auth->challenge({"hochfeld-a"});
    // hamborn-a answers a challenge issued to hochfeld-a.
    EXPECT_THROW(auth->token({"hamborn-a", c.challenge, sign_challenge(a.secret_key(), "hamborn-a", c.challenge)}), AuthError);
}

TEST_F(auth_service, every_failed_sign_in_gets_the_same_message) {
    const std::string wrong_signature = sign_in_error(answer("hamborn-a", other_site.secret_key()));
    const std::string unknown_identity = sign_in_error(answer("nobody-here", a.secret_key()));
    const std::string unknown_challenge = sign_in_error({"hamborn-a", kim::base64_encode(kim::Hash32{}), "AAAA"});
    auto garbled = answer("hamborn-a", a.secret_key());
    garbled.signature = "not base64";
    const std::string bad_encoding = sign_in_error(garbled);
    store->revoke_replica("hamborn-a", now);
    const std::string revoked = sign_in_error(answer("hamborn-a", a.secret_key()));

    EXPECT_NE(wrong_signature.find("sign-in failed"), std::string::npos) << wrong_signature;
    EXPECT_EQ(unknown_identity, wrong_signature);
    EXPECT_EQ(unknown_challenge, wrong_signature);
    EXPECT_EQ(bad_encoding, wrong_signature);
    EXPECT_EQ(revoked, wrong_signature);
}

TEST_F(auth_service, a_challenge_is_answered_for_any_well_formed_identity_only) {
    EXPECT_NO_THROW(auth->challenge({"never-enrolled"}));
    EXPECT_THROW(auth->challenge({""}), kim::InputError);
    EXPECT_THROW(auth->challenge({"Not A Name"}), kim::InputError);
}

TEST_F(auth_service, a_revoked_replica_s_token_is_refused_at_once) {
    const std::string token = token_of(a);
    EXPECT_NO_THROW(auth->authenticate("Bearer " + token));
    store->revoke_replica("hamborn-a", now);
    const auto message = authenticate_error("Bearer " + token);
    EXPECT_NE(message.find("revoked"), std::string::npos) << message;
}

TEST_F(auth_service, an_expired_token_is_refused) {
    const std::string token = token_of(a);
    now += 15 * 60 - 1;
    EXPECT_NO_THROW(auth->authenticate("Bearer " + token));
    now += 1;
    const auto message = authenticate_error("Bearer " + token);
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
}

TEST_F(auth_service, a_token_made_with_another_secret_is_refused) {
    const kim::Key32 other = kim::crypto::random_key();
    const std::string forged = kim::server::encode_token({"hamborn-a", Role::replica, "hamborn", now + 600}, other);
    const auto message = authenticate_error("Bearer " + forged);
    EXPECT_NE(message.find("forged"), std::string::npos) << message;
}

TEST_F(auth_service, a_tampered_token_is_refused) {
    const std::string token = token_of(a);
    // Claim another site with the original MAC.
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    auto payload = nlohmann::json::parse(kim::to_string(*kim::base64_decode(token.substr(first_dot + 1, second_dot - first_dot - 1))));
    payload["site"] = "hochfeld";
    const std::string tampered =
        "kim1." + kim::base64_encode(kim::as_bytes(payload.dump())) + token.substr(second_dot);
    EXPECT_NE(authenticate_error("Bearer " + tampered).find("forged"), std::string::npos);
    // And one flipped bit in the MAC.
    std::string flipped = token;
    flipped[second_dot + 1] = flipped[second_dot + 1] == 'A' ? 'B' : 'A';
    EXPECT_THROW(auth->authenticate("Bearer " + flipped), AuthError);
}

TEST_F(auth_service, missing_or_malformed_authorization_is_refused) {
    EXPECT_NE(authenticate_error("").find("needs an access token"), std::string::npos);
    EXPECT_NE(authenticate_error("Basic aGFtYm9ybjpzZWNyZXQ=").find("Bearer"), std::string::npos);
    EXPECT_NE(authenticate_error("Bearer ").find("Bearer"), std::string::npos);
    EXPECT_NE(authenticate_error("Bearer kim1.garbage").find("malformed"), std::string::npos);
    EXPECT_NE(authenticate_error("Bearer kim2.e30=.AAAA").find("malformed"), std::string::npos);
    EXPECT_NE(authenticate_error("Bearer " + std::string(5000, 'a')).find("malformed"), std::string::npos);
}

TEST_F(auth_service, a_user_with_a_key_signs_in_with_its_role) {
    const auto key = kim::crypto::generate_signing_key();
    kim::server::User u;
    u.name = "duisburg-audit";
    u.role = Role::auditor;
    u.public_key = key.public_key;
    u.created_at = now;
    store->add_user(u);
    const auto response = auth->token(answer("duisburg-audit", key.secret_key));
    EXPECT_EQ(response.role, Role::auditor);
    EXPECT_TRUE(response.site.empty());
    const auto caller = auth->authenticate("Bearer " + response.token);
    EXPECT_EQ(caller.role, Role::auditor);
    EXPECT_NO_THROW(kim::server::require_role(caller, Role::auditor));
    const auto message = kim::test::error_message_of<kim::PermissionError>([&] { kim::server::require_role(caller, Role::replica); });
    EXPECT_NE(message.find("needs the replica role"), std::string::npos) << message;
}

TEST_F(auth_service, a_replica_may_not_act_as_coordinator) {
    const auto caller = auth->authenticate("Bearer " + token_of(a));
    EXPECT_THROW(kim::server::require_role(caller, Role::coordinator), kim::PermissionError);
    EXPECT_THROW(kim::server::require_role(caller, Role::auditor), kim::PermissionError);
}

TEST_F(auth_service, a_password_only_user_cannot_sign_in_by_key) {
    kim::server::User u;
    u.name = "duisburg-coordination";
    u.role = Role::coordinator;
    u.password_hash = kim::server::hash_password("a long enough password");
    u.created_at = now;
    store->add_user(u);
    EXPECT_THROW(auth->token(answer("duisburg-coordination", a.secret_key())), AuthError);
}

TEST(challenge_store, outstanding_challenges_are_bounded_and_expire) {
    kim::server::ChallengeStore challenges(2);
    std::int64_t now = 1000;
    challenges.issue("hamborn-a", now);
    const std::string second = challenges.issue("hamborn-a", now);
    EXPECT_THROW(challenges.issue("hamborn-a", now), kim::server::BusyError);
    EXPECT_TRUE(challenges.redeem(second, "hamborn-a", now));
    EXPECT_NO_THROW(challenges.issue("hamborn-a", now)) << "a redeemed challenge frees its place";
    EXPECT_THROW(challenges.issue("hamborn-a", now), kim::server::BusyError);
    now += 60;
    EXPECT_NO_THROW(challenges.issue("hamborn-a", now)) << "expired challenges are pruned";
    EXPECT_EQ(challenges.outstanding(), 1u);
}

TEST(password, is_hashed_with_argon2id_and_verifies) {
    const std::string hash = kim::server::hash_password("correct horse battery");
    EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
    EXPECT_EQ(hash.find("correct horse"), std::string::npos);
    EXPECT_TRUE(kim::server::verify_password("correct horse battery", hash));
    EXPECT_FALSE(kim::server::verify_password("correct horse batterY", hash));
}

TEST(password, shorter_than_twelve_characters_is_refused) {
    EXPECT_THROW(kim::server::hash_password("elevenchars"), kim::InputError);
    // Twelve characters, more bytes: counted as characters.
    EXPECT_NO_THROW(kim::server::hash_password("äöüäöüäöüäöü"));
    EXPECT_THROW(kim::server::hash_password("äöüäöüäöüäö"), kim::InputError);
}

}  // namespace

// For names without a password: no password matches it, and checking one
// costs what checking a stored password costs (the same Argon2id parameters).
TEST(passwords, the_unmatchable_hash_has_the_stored_cost_and_matches_nothing) {
    const std::string dummy = kim::server::unmatchable_password_hash();
    const std::string real = kim::server::hash_password("correct horse battery");
    EXPECT_EQ(dummy.substr(0, dummy.find('$', dummy.find("m="))), real.substr(0, real.find('$', real.find("m="))));
    EXPECT_EQ(dummy.size(), real.size());
    EXPECT_EQ(crypto_pwhash_str_needs_rehash(dummy.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                             crypto_pwhash_MEMLIMIT_INTERACTIVE),
              0)
        << dummy;
    EXPECT_FALSE(kim::server::verify_password("correct horse battery", dummy));
    EXPECT_FALSE(kim::server::verify_password("", dummy));
    EXPECT_NE(dummy, kim::server::unmatchable_password_hash()) << "a fresh salt and digest each time";
}
