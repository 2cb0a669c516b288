// Authentication and authorisation against the real kim-server: tokens,
// roles, revocation, and site isolation of push and pull.
#include <gtest/gtest.h>

#include <string>

#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/protocol.hpp"
#include "server_fixture.hpp"

namespace {

using kim::Change;
using kim::test::HttpResponse;
using kim::test::ProtocolClient;
using kim::test::http_request;
using nlohmann::json;

class access : public kim::test::ServerSuite {};

TEST_F(access, push_and_pull_without_a_token_are_refused) {
    EXPECT_EQ(http_request(port(), "POST", "/v1/push", R"({"changes":[]})").status, 401);
    EXPECT_EQ(http_request(port(), "GET", "/v1/pull?since=0").status, 401);
}

TEST_F(access, signature_with_the_wrong_key_gets_no_token) {
    ProtocolClient a(port(), unique("hamborn-a"), "site-auth");
    server().enrol_replica(a.identity(), "site-auth", a.public_key_base64());
    const HttpResponse r = a.try_authenticate(kim::crypto::generate_signing_key());
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.json().at("error"), "unauthenticated");
}

TEST_F(access, unknown_identity_gets_the_same_answer_as_a_wrong_key) {
    ProtocolClient ghost(port(), unique("ghost"), "site-auth");
    const HttpResponse unknown = ghost.try_authenticate(ghost.key());
    ProtocolClient a(port(), unique("hamborn-a"), "site-auth");
    server().enrol_replica(a.identity(), "site-auth", a.public_key_base64());
    const HttpResponse wrong_key = a.try_authenticate(kim::crypto::generate_signing_key());
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(unknown.body, wrong_key.body);
}

TEST_F(access, a_challenge_answers_once) {
    ProtocolClient a(port(), unique("hamborn-a"), "site-auth");
    server().enrol_replica(a.identity(), "site-auth", a.public_key_base64());
    const HttpResponse ch = http_request(port(), "POST", "/v1/auth/challenge", json{{"identity", a.identity()}}.dump());
    ASSERT_EQ(ch.status, 200) << ch.body;
    const std::string challenge = ch.json().at("challenge");
    const auto sig = kim::crypto::sign(a.key().secret_key, kim::as_bytes(kim::protocol::auth_message(a.identity(), challenge)));
    const json body{{"identity", a.identity()}, {"challenge", challenge}, {"signature", kim::base64_encode(sig)}};
    EXPECT_EQ(http_request(port(), "POST", "/v1/auth/token", body.dump()).status, 200);
    EXPECT_EQ(http_request(port(), "POST", "/v1/auth/token", body.dump()).status, 401);  // replayed answer
}

TEST_F(access, forged_or_altered_tokens_are_refused) {
    ProtocolClient a = enrolled("hamborn-a", "site-token");
    const std::string good = a.token();
    ASSERT_EQ(a.pull(0).status, 200);

    // Another site written into the payload: the MAC no longer matches.
    const auto first_dot = good.find('.');
    const auto second_dot = good.find('.', first_dot + 1);
    ASSERT_NE(second_dot, std::string::npos) << good;
    json payload = json::parse(kim::to_string(*kim::base64_decode(good.substr(first_dot + 1, second_dot - first_dot - 1))));
    payload["site"] = "another-site";
    a.set_token(good.substr(0, first_dot + 1) + kim::base64_encode(kim::as_bytes(payload.dump())) + good.substr(second_dot));
    EXPECT_EQ(a.pull(0).status, 401);

    for (const std::string& forged : {std::string("kim1.e30=.AAAA"), std::string("garbage"), std::string(""),
                                      good.substr(0, good.size() - 4) + "AAA="}) {
        a.set_token(forged);
        EXPECT_EQ(a.pull(0).status, 401) << forged;
    }
}

TEST_F(access, revoked_replica_is_refused_at_once) {
    ProtocolClient a = enrolled("hamborn-a", "site-revoke");
    Change c = a.next_case_change();
    a.seal_and_advance(c);
    ASSERT_EQ(a.push({c}).status, 200);
    server().admin({"replica", "revoke", a.identity()});
    // The token it still holds no longer works, nor does a new login.
    EXPECT_EQ(a.pull(0).status, 401);
    EXPECT_EQ(a.try_authenticate(a.key()).status, 401);
    // What it pushed before revocation stays.
    EXPECT_EQ(enrolled("peer", "site-revoke").pull_all().size(), 1u);
}

TEST_F(access, auditor_and_coordinator_tokens_cannot_push_or_pull) {
    for (const std::string role : {"auditor", "coordinator"}) {
        ProtocolClient user(port(), unique(role), "");
        server().admin({"user", "add", user.identity(), "--role", role, "--pubkey", user.public_key_base64()});
        user.authenticate();
        const HttpResponse push = user.push_json(json::array());
        EXPECT_EQ(push.status, 403) << role << ": " << push.body;
        EXPECT_EQ(push.json().at("error"), "forbidden");
        EXPECT_EQ(user.pull(0).status, 403) << role;
    }
}

TEST_F(access, a_replica_never_receives_another_sites_changes) {
    ProtocolClient hamborn = enrolled("hamborn-a", "hamborn-iso");
    ProtocolClient hochfeld = enrolled("hochfeld-a", "hochfeld-iso");
    ProtocolClient hamborn_b = enrolled("hamborn-b", "hamborn-iso");
    for (int i = 0; i < 3; ++i) {
        Change c = hamborn.next_case_change();
        hamborn.seal_and_advance(c);
        ASSERT_EQ(hamborn.push({c}).status, 200);
        Change d = hochfeld.next_case_change();
        hochfeld.seal_and_advance(d);
        ASSERT_EQ(hochfeld.push({d}).status, 200);
    }
    EXPECT_TRUE(hochfeld.pull_all().empty());  // its own changes are not echoed back, nor Hamborn's sent
    ProtocolClient hochfeld_b = enrolled("hochfeld-b", "hochfeld-iso");
    const auto hochfeld_seen = hochfeld_b.pull_all();
    EXPECT_EQ(hochfeld_seen.size(), 3u);
    for (const auto& j : hochfeld_seen) EXPECT_EQ(j.at("site"), "hochfeld-iso");
    const auto seen = hamborn_b.pull_all();
    EXPECT_EQ(seen.size(), 3u);
    for (const auto& j : seen) EXPECT_EQ(j.at("site"), "hamborn-iso");
}

TEST_F(access, pull_pages_follow_the_cursor_without_loss_or_repetition) {
    ProtocolClient a = enrolled("hamborn-a", "site-pages");
    std::vector<Change> batch;
    for (int i = 0; i < 25; ++i) {
        batch.push_back(a.next_case_change());
        a.seal_and_advance(batch.back());
    }
    ASSERT_EQ(a.push(batch).status, 200);
    ProtocolClient b = enrolled("hamborn-b", "site-pages");
    std::uint64_t since = 0;
    std::vector<std::uint64_t> seqs;
    int pages = 0;
    for (bool more = true; more; ++pages) {
        const json page = b.pull(since, 10).json();
        for (const auto& c : page.at("changes")) seqs.push_back(c.at("seq"));
        since = page.at("next");
        more = page.at("more");
    }
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(seqs.size(), 25u);
    for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
    // Nothing new: the same cursor comes back and nothing more is sent.
    const json empty = b.pull(since, 10).json();
    EXPECT_TRUE(empty.at("changes").empty());
    EXPECT_EQ(empty.at("next"), since);
    EXPECT_FALSE(empty.at("more").get<bool>());
}

}  // namespace
