// The dashboard's sign-in (docs/protocol.md "Dashboard sign-in"): the session
// table and its two clocks, the Cookie header, the limits on failed
// sign-ins, and POST/GET/DELETE /v1/session through a router on a real
// SQLite store with real Argon2id passwords.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "auth/auth_errors.hpp"
#include "auth/auth_service.hpp"
#include "auth/dashboard_sessions.hpp"
#include "auth/login_guard.hpp"
#include "auth/password.hpp"
#include "handlers/handler_support.hpp"
#include "handlers/handlers.hpp"
#include "http/router.hpp"
#include "kim/shared/errors.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace {

using kim::protocol::Role;
using kim::server::DashboardSessions;
using kim::server::LoginGuard;
using kim::server::LoginLimits;
using kim::server::TooManyAttemptsError;
using kim::server::cookie_value;
using kim::server::http::Request;
using kim::server::http::Response;
using kim::server::http::Router;
using kim::server::http::request_for_target;

constexpr std::int64_t start_time = 1'767'225'600;  // 2026-01-01 00:00 UTC

// --- DashboardSessions ---------------------------------------------------------

TEST(dashboard_sessions, a_session_has_a_random_base64url_id_and_ends_eight_hours_after_sign_in) {
    std::int64_t now = start_time;
    DashboardSessions sessions([&] { return now; });
    const auto session = sessions.start("koordination");
    EXPECT_EQ(session.id.size(), 43u);
    EXPECT_EQ(session.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(session.name, "koordination");
    EXPECT_EQ(session.expires_at, start_time + 8 * 3600);
    EXPECT_NE(sessions.start("koordination").id, session.id);

    // Used every 20 minutes it stays alive, but not past its eight hours.
    for (now = start_time; now < start_time + 8 * 3600; now += 20 * 60) {
        const auto found = sessions.find(session.id);
        ASSERT_TRUE(found) << "at " << now - start_time;
        EXPECT_EQ(found->name, "koordination");
        EXPECT_EQ(found->expires_at, session.expires_at);
    }
    now = start_time + 8 * 3600 - 1;
    EXPECT_TRUE(sessions.find(session.id));
    now = start_time + 8 * 3600;
    EXPECT_FALSE(sessions.find(session.id));
}

TEST(dashboard_sessions, thirty_minutes_unused_end_a_session_and_every_request_restarts_that_clock) {
    std::int64_t now = start_time;
    DashboardSessions sessions([&] { return now; });
    const auto session = sessions.start("koordination");
    now += 30 * 60 - 1;
    ASSERT_TRUE(sessions.find(session.id));
    now += 30 * 60 - 1;  // idle counted from the last request
    ASSERT_TRUE(sessions.find(session.id));
    now += 30 * 60;
    EXPECT_FALSE(sessions.find(session.id));
    now = start_time;  // a clock going back does not revive it: it is forgotten
    EXPECT_FALSE(sessions.find(session.id));
    EXPECT_EQ(sessions.size(), 0u);
}

TEST(dashboard_sessions, end_forgets_the_session_and_unknown_ids_are_nothing) {
    DashboardSessions sessions([] { return start_time; });
    const auto a = sessions.start("koordination");
    const auto b = sessions.start("koordination");
    sessions.end(a.id);
    EXPECT_FALSE(sessions.find(a.id));
    EXPECT_TRUE(sessions.find(b.id));
    sessions.end(a.id);  // twice: nothing happens
    sessions.end("");
    sessions.end("no such session");
    EXPECT_FALSE(sessions.find(""));
    EXPECT_FALSE(sessions.find(std::string(43, 'A')));
    EXPECT_FALSE(sessions.find(b.id + "x"));
    EXPECT_FALSE(sessions.find(b.id.substr(1)));
    EXPECT_EQ(sessions.size(), 1u);
}

TEST(dashboard_sessions, the_table_is_bounded) {
    std::int64_t now = start_time;
    DashboardSessions sessions([&] { return now; });
    const auto first = sessions.start("koordination");
    for (std::size_t i = 0; i < kim::server::max_dashboard_sessions + 10; ++i) {
        ++now;
        sessions.start("koordination");
    }
    EXPECT_LE(sessions.size(), kim::server::max_dashboard_sessions);
    EXPECT_FALSE(sessions.find(first.id));  // the one unused the longest went first
}

// --- cookie_value -------------------------------------------------------------

TEST(cookie_value, finds_the_cookie_among_others_in_any_spacing) {
    EXPECT_EQ(cookie_value("kim_session=abc", "kim_session"), "abc");
    EXPECT_EQ(cookie_value("a=1; kim_session=abc; b=2", "kim_session"), "abc");
    EXPECT_EQ(cookie_value("a=1;kim_session=abc;b=2", "kim_session"), "abc");
    EXPECT_EQ(cookie_value("a=1;\tkim_session = abc\t ;b=2", "kim_session"), "abc");
    EXPECT_EQ(cookie_value(";; ;a; kim_session=abc", "kim_session"), "abc");
    EXPECT_EQ(cookie_value("theme=dark; kim_session=a=b=c", "kim_session"), "a=b=c");
}

TEST(cookie_value, removes_quotes_and_takes_the_first_of_several) {
    EXPECT_EQ(cookie_value("kim_session=\"abc\"", "kim_session"), "abc");
    EXPECT_EQ(cookie_value("kim_session=\"", "kim_session"), "\"");
    EXPECT_EQ(cookie_value("kim_session=first; kim_session=second", "kim_session"), "first");
    EXPECT_EQ(cookie_value("kim_session=", "kim_session"), "");
}

TEST(cookie_value, is_nothing_when_absent_or_only_similar) {
    EXPECT_FALSE(cookie_value("", "kim_session"));
    EXPECT_FALSE(cookie_value("   ", "kim_session"));
    EXPECT_FALSE(cookie_value("kim_session", "kim_session"));
    EXPECT_FALSE(cookie_value("xkim_session=1; kim_sessionx=2; KIM_SESSION=3", "kim_session"));
    EXPECT_FALSE(cookie_value("a=kim_session=1", "kim_session"));
}

// --- LoginGuard ---------------------------------------------------------------

class login_guard : public ::testing::Test {
protected:
    // Fails a sign-in of `name` from `address`.
    void fail(const std::string& name, const std::string& address) { guard.begin(name, address).failed(); }

    std::int64_t retry_after(const std::string& name, const std::string& address) {
        try {
            guard.begin(name, address).failed();
        } catch (const TooManyAttemptsError& e) {
            return e.retry_after_seconds();
        }
        ADD_FAILURE() << "the attempt was not refused";
        return 0;
    }

    std::int64_t now = start_time;
    LoginGuard guard{[this] { return now; }};
};

TEST_F(login_guard, five_failures_for_one_name_block_it_from_every_address_for_the_window) {
    for (int i = 0; i < 5; ++i) {
        fail("koordination", "192.0.2." + std::to_string(i));
        now += 10;
    }
    // The oldest failure (at start_time) leaves the window at start_time + 900.
    EXPECT_EQ(retry_after("koordination", "198.51.100.7"), start_time + 900 - now);
    EXPECT_EQ(now, start_time + 50);
    // Other names from the same addresses go on.
    EXPECT_NO_THROW(guard.begin("other-name", "192.0.2.1").failed());
}

TEST_F(login_guard, twenty_failures_from_one_address_block_it_for_every_name) {
    for (int i = 0; i < 20; ++i) fail("name-" + std::to_string(i), "192.0.2.1");
    EXPECT_EQ(retry_after("fresh-name", "192.0.2.1"), 900);
    EXPECT_NO_THROW(guard.begin("fresh-name", "192.0.2.2").succeeded());
}

TEST_F(login_guard, an_ipv6_client_counts_by_its_64_network_and_mapped_ipv4_as_ipv4) {
    for (int i = 0; i < 20; ++i) fail("name-" + std::to_string(i), "2001:db8:1:2::" + std::to_string(i + 1));
    EXPECT_EQ(retry_after("fresh", "2001:db8:1:2:ffff::1"), 900);
    EXPECT_NO_THROW(guard.begin("fresh", "2001:db8:1:3::1").succeeded());

    for (int i = 0; i < 20; ++i) fail("name-" + std::to_string(i), "::ffff:192.0.2.9");
    EXPECT_EQ(retry_after("fresh", "192.0.2.9"), 900);
    EXPECT_EQ(kim::server::login_address_key("::ffff:192.0.2.9"), "192.0.2.9");
    EXPECT_EQ(kim::server::login_address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    EXPECT_EQ(kim::server::login_address_key("not an address"), "not an address");
}

TEST_F(login_guard, the_window_slides_failure_by_failure) {
    for (int i = 0; i < 5; ++i) {
        fail("koordination", "192.0.2.1");
        now += 10;
    }
    now = start_time + 899;
    EXPECT_EQ(retry_after("koordination", "192.0.2.1"), 1);
    now = start_time + 900;  // the first failure has left the window
    fail("koordination", "192.0.2.1");
    // Five again; the next to leave is the one at +10.
    EXPECT_EQ(retry_after("koordination", "192.0.2.1"), 10);
    now = start_time + 910;
    EXPECT_NO_THROW(guard.begin("koordination", "192.0.2.1").succeeded());
}

TEST_F(login_guard, a_success_forgets_the_names_failures_but_not_the_addresses) {
    for (int i = 0; i < 4; ++i) fail("koordination", "192.0.2.1");
    guard.begin("koordination", "192.0.2.1").succeeded();
    for (int i = 0; i < 4; ++i) fail("koordination", "192.0.2.2");
    EXPECT_NO_THROW(guard.begin("koordination", "192.0.2.3").failed());
    EXPECT_THROW(guard.begin("koordination", "192.0.2.3"), TooManyAttemptsError);

    LoginGuard fresh([this] { return now; });
    for (int i = 0; i < 19; ++i) fresh.begin("name-" + std::to_string(i), "192.0.2.1").failed();
    fresh.begin("mine", "192.0.2.1").succeeded();
    fresh.begin("name-x", "192.0.2.1").failed();
    EXPECT_THROW(fresh.begin("mine", "192.0.2.1"), TooManyAttemptsError);
}

TEST_F(login_guard, at_most_two_checks_run_at_once_and_checks_under_way_count_against_the_limit) {
    {
        auto first = guard.begin("koordination", "192.0.2.1");
        auto second = guard.begin("other", "192.0.2.2");
        EXPECT_EQ(guard.checks_in_progress(), 2u);
        EXPECT_THROW(guard.begin("third", "192.0.2.3"), kim::server::BusyError);
        second.failed();
        EXPECT_NO_THROW(guard.begin("third", "192.0.2.3").failed());
        // An attempt dropped unresolved (an exception in between) frees its
        // slot and counts as no failure.
    }
    EXPECT_EQ(guard.checks_in_progress(), 0u);

    for (int i = 0; i < 4; ++i) fail("busy-name", "192.0.2.9");
    auto fifth = guard.begin("busy-name", "192.0.2.9");
    // Four failures and one check under way: a sixth may not start beside it.
    EXPECT_EQ(retry_after("busy-name", "192.0.2.10"), 1);
    fifth.succeeded();
    EXPECT_NO_THROW(guard.begin("busy-name", "192.0.2.10").succeeded());
}

TEST_F(login_guard, a_refused_attempt_is_not_counted_and_memory_is_bounded) {
    for (int i = 0; i < 5; ++i) fail("koordination", "192.0.2.1");
    for (int i = 0; i < 50; ++i) EXPECT_THROW(guard.begin("koordination", "192.0.2.1"), TooManyAttemptsError);
    now += 900;
    EXPECT_NO_THROW(guard.begin("koordination", "192.0.2.1").failed());

    LoginLimits limits;
    limits.max_tracked_keys = 100;
    LoginGuard small([this] { return now; }, limits);
    for (int i = 0; i < 5000; ++i) {
        small.begin("name-" + std::to_string(i), "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250))
            .failed();
    }
    EXPECT_LE(small.tracked_keys(), 200u);
    // An empty name (no possible user) is counted for the address only.
    small.begin("", "192.0.2.200").failed();
    EXPECT_LE(small.tracked_keys(), 200u);
}

// --- POST/GET/DELETE /v1/session ----------------------------------------------

constexpr const char* coordinator_password = "Rheinhausen-Hochfeld-2026";
constexpr const char* auditor_password = "pruefung ist wichtig!";

class session_routes : public ::testing::Test {
protected:
    // One store for the suite: every password costs an Argon2id run, and the
    // tests only read the users.
    static void SetUpTestSuite() {
        dir = new kim::test::TempDir();
        kim::server::create_sqlite_store(*dir / "data");
        store = kim::server::open_sqlite_store(*dir / "data").release();
        add_user("koordination-du", Role::coordinator, coordinator_password);
        add_user("pruefung", Role::auditor, auditor_password);
        kim::server::User with_key;
        with_key.name = "koord-mit-schluessel";
        with_key.role = Role::coordinator;
        with_key.public_key = kim::crypto::PublicKey{};
        with_key.created_at = start_time;
        store->add_user(with_key);
    }

    static void TearDownTestSuite() {
        delete store;
        delete dir;
    }

    void SetUp() override { kim::server::http::add_session_routes(router, *store, sessions, guard); }

    static void add_user(const std::string& name, Role role, const std::string& password) {
        kim::server::User u;
        u.name = name;
        u.role = role;
        u.password_hash = kim::server::hash_password(password);
        u.created_at = start_time;
        store->add_user(u);
    }

    Response sign_in(const std::string& name, const std::string& password, bool secure = false,
                     const std::string& address = "127.0.0.1") {
        Request r = request_for_target("POST", "/v1/session");
        r.body = nlohmann::json{{"name", name}, {"password", password}}.dump();
        r.content_type = "application/json";
        r.remote_address = address;
        r.secure = secure;
        return router.handle(r);
    }

    Response with_cookie(const std::string& method, const std::string& cookie) {
        Request r = request_for_target(method, "/v1/session");
        r.cookie = cookie;
        r.remote_address = "127.0.0.1";
        return router.handle(r);
    }

    static std::string header(const Response& response, const std::string& name) {
        for (const auto& [n, v] : response.headers) {
            if (n == name) return v;
        }
        return "";
    }

    // The `kim_session=…` part of the response's Set-Cookie.
    static std::string cookie_of(const Response& response) {
        const std::string set = header(response, "Set-Cookie");
        return set.substr(0, set.find(';'));
    }

    static inline kim::test::TempDir* dir = nullptr;
    static inline kim::server::Store* store = nullptr;
    std::int64_t now = start_time;
    DashboardSessions sessions{[this] { return now; }};
    LoginGuard guard{[this] { return now; }};
    Router router;
};

TEST_F(session_routes, a_coordinator_signs_in_with_the_password_and_gets_an_http_only_strict_cookie) {
    const Response response = sign_in("koordination-du", coordinator_password);
    ASSERT_EQ(response.status, 200u) << response.body;
    const auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body, (nlohmann::json{{"name", "koordination-du"}, {"role", "coordinator"},
                                     {"expires_at", start_time + 8 * 3600}}));
    const std::string set = header(response, "Set-Cookie");
    const std::string id = cookie_value(set.substr(0, set.find(';')), "kim_session").value_or("");
    EXPECT_EQ(id.size(), 43u);
    EXPECT_EQ(set, "kim_session=" + id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800");
    EXPECT_TRUE(sessions.find(id));
}

TEST_F(session_routes, over_tls_the_cookie_is_secure) {
    const Response response = sign_in("koordination-du", coordinator_password, true);
    ASSERT_EQ(response.status, 200u) << response.body;
    const std::string set = header(response, "Set-Cookie");
    EXPECT_TRUE(set.starts_with("kim_session="));
    EXPECT_TRUE(set.ends_with("; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800; Secure")) << set;
}

TEST_F(session_routes, wrong_password_unknown_name_and_a_user_without_password_get_the_same_401) {
    const Response wrong = sign_in("koordination-du", "not the password at all");
    const Response unknown = sign_in("niemand", coordinator_password);
    const Response no_password = sign_in("koord-mit-schluessel", coordinator_password);
    const Response impossible = sign_in("Not A Valid Name!", coordinator_password);
    for (const Response* r : {&wrong, &unknown, &no_password, &impossible}) {
        EXPECT_EQ(r->status, 401u);
        EXPECT_EQ(nlohmann::json::parse(r->body),
                  (nlohmann::json{{"error", "unauthenticated"}, {"message", "wrong name or password"}}));
        EXPECT_EQ(header(*r, "Set-Cookie"), "");
        EXPECT_EQ(r->body.find(coordinator_password), std::string::npos);
    }
    EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(session_routes, the_correct_password_of_an_auditor_is_forbidden) {
    const Response response = sign_in("pruefung", auditor_password);
    EXPECT_EQ(response.status, 403u);
    EXPECT_EQ(nlohmann::json::parse(response.body).at("error"), "forbidden");
    EXPECT_EQ(response.body.find("pruefung"), std::string::npos);
    EXPECT_EQ(header(response, "Set-Cookie"), "");
    EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(session_routes, after_five_failures_for_a_name_the_sixth_attempt_is_429_unchecked) {
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(sign_in("koordination-du", "guess number " + std::to_string(i), false,
                          "192.0.2." + std::to_string(i)).status,
                  401u);
    }
    now += 60;
    // Even the right password is not checked now.
    const Response refused = sign_in("koordination-du", coordinator_password, false, "198.51.100.1");
    EXPECT_EQ(refused.status, 429u);
    EXPECT_EQ(nlohmann::json::parse(refused.body).at("error"), "too_many_attempts");
    EXPECT_EQ(header(refused, "Retry-After"), "840");
    EXPECT_EQ(refused.body.find("koordination-du"), std::string::npos);
    now += 840;
    EXPECT_EQ(sign_in("koordination-du", coordinator_password, false, "198.51.100.1").status, 200u);
}

TEST_F(session_routes, a_third_password_check_at_once_is_503_busy) {
    auto first = guard.begin("someone", "192.0.2.1");
    auto second = guard.begin("someone-else", "192.0.2.2");
    const Response busy = sign_in("koordination-du", coordinator_password);
    EXPECT_EQ(busy.status, 503u);
    EXPECT_EQ(nlohmann::json::parse(busy.body).at("error"), "busy");
    EXPECT_EQ(header(busy, "Retry-After"), "1");
    first.succeeded();
    EXPECT_EQ(sign_in("koordination-du", coordinator_password).status, 200u);
}

TEST_F(session_routes, twenty_failures_from_one_address_block_it_for_every_name) {
    // Names no user can have (upper case): answered without an Argon2id run,
    // which keeps this test fast, and counted for the address all the same.
    for (int i = 0; i < 20; ++i) EXPECT_EQ(sign_in("Name-" + std::to_string(i), "x", false, "192.0.2.7").status, 401u);
    const Response refused = sign_in("koordination-du", coordinator_password, false, "192.0.2.7");
    EXPECT_EQ(refused.status, 429u);
    EXPECT_EQ(header(refused, "Retry-After"), "900");
    EXPECT_EQ(sign_in("koordination-du", coordinator_password, false, "192.0.2.8").status, 200u);
}

TEST_F(session_routes, get_tells_the_live_session_and_401_without_one) {
    EXPECT_EQ(with_cookie("GET", "").status, 401u);
    EXPECT_EQ(with_cookie("GET", "kim_session=forged").status, 401u);
    const std::string cookie = cookie_of(sign_in("koordination-du", coordinator_password));
    now += 60;
    const Response live = with_cookie("GET", "theme=dark; " + cookie);
    ASSERT_EQ(live.status, 200u) << live.body;
    EXPECT_EQ(nlohmann::json::parse(live.body),
              (nlohmann::json{{"name", "koordination-du"}, {"role", "coordinator"},
                              {"expires_at", start_time + 8 * 3600}}));
    now += 31 * 60;  // unused too long
    const Response idle = with_cookie("GET", cookie);
    EXPECT_EQ(idle.status, 401u);
    EXPECT_EQ(nlohmann::json::parse(idle.body).at("error"), "unauthenticated");
}

TEST_F(session_routes, delete_ends_the_session_and_clears_the_cookie_also_without_one) {
    const std::string cookie = cookie_of(sign_in("koordination-du", coordinator_password));
    const Response out = with_cookie("DELETE", cookie);
    EXPECT_EQ(out.status, 200u);
    EXPECT_EQ(nlohmann::json::parse(out.body), (nlohmann::json{{"signed_out", true}}));
    EXPECT_EQ(header(out, "Set-Cookie"), "kim_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    EXPECT_EQ(with_cookie("GET", cookie).status, 401u);
    const Response again = with_cookie("DELETE", "");
    EXPECT_EQ(again.status, 200u);
    EXPECT_EQ(header(again, "Set-Cookie"), "kim_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST_F(session_routes, the_body_is_read_strictly_and_never_quoted) {
    const auto post = [&](const std::string& body) {
        Request r = request_for_target("POST", "/v1/session");
        r.body = body;
        r.content_type = "application/json";
        r.remote_address = "127.0.0.1";
        return router.handle(r);
    };
    const std::string secret = "my-secret-value-123";
    for (const std::string& body :
         {std::string(""), std::string("not json " + secret), std::string("[\"koordination-du\"]"),
          std::string(R"({"name":"koordination-du"})"), std::string(R"({"password":")" + secret + "\"}"),
          std::string(R"({"name":"koordination-du","password":12345678901234})"),
          std::string(R"({"name":["koordination-du"],"password":")" + secret + "\"}"),
          std::string(R"({"name":"koordination-du","password":")" + secret + R"(","remember":true})")}) {
        const Response r = post(body);
        EXPECT_EQ(r.status, 400u) << body;
        EXPECT_EQ(nlohmann::json::parse(r.body).at("error"), "bad_request");
        EXPECT_EQ(r.body.find(secret), std::string::npos) << r.body;
    }
    EXPECT_EQ(router.body_limit("POST", "/v1/session"), 16u * 1024);
}

// A cross-site form can post text/plain that parses as JSON ("login CSRF"):
// only application/json is read.
TEST_F(session_routes, a_sign_in_that_is_not_sent_as_json_is_refused_unread) {
    for (const std::string& type : {std::string(""), std::string("text/plain"),
                                    std::string("application/x-www-form-urlencoded")}) {
        Request r = request_for_target("POST", "/v1/session");
        r.body = nlohmann::json{{"name", "koordination-du"}, {"password", coordinator_password}}.dump();
        r.content_type = type;
        r.remote_address = "127.0.0.1";
        const Response answer = router.handle(r);
        EXPECT_EQ(answer.status, 400u) << type;
        EXPECT_EQ(header(answer, "Set-Cookie"), "") << type;
    }
}

TEST_F(session_routes, the_cookie_stands_for_a_coordinator_where_no_token_is_sent) {
    kim::server::AuthService auth(*store, [this] { return now; });
    const std::string cookie = cookie_of(sign_in("koordination-du", coordinator_password));
    Request r = request_for_target("GET", "/v1/stats?by=site");
    r.cookie = cookie;
    const auto caller = kim::server::http::caller_by_token_or_session(auth, sessions, r);
    EXPECT_EQ(caller.identity, "koordination-du");
    EXPECT_EQ(caller.role, Role::coordinator);

    // A token, when sent, decides alone.
    r.authorization = "Bearer kim1.forged.token";
    EXPECT_THROW(kim::server::http::caller_by_token_or_session(auth, sessions, r), kim::AuthError);
    r.authorization.clear();
    r.cookie = "kim_session=" + std::string(43, 'A');
    EXPECT_THROW(kim::server::http::caller_by_token_or_session(auth, sessions, r), kim::AuthError);
    r.cookie.clear();
    EXPECT_THROW(kim::server::http::caller_by_token_or_session(auth, sessions, r), kim::AuthError);
}

}  // namespace
