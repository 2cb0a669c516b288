// The router: dispatch, 404/405/unsupported_protocol, and every exception a
// handler may throw mapped to the status and error body of docs/protocol.md.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "auth/auth_errors.hpp"
#include "http/router.hpp"
#include "kim/shared/errors.hpp"
#include "sync/sync_errors.hpp"

using kim::server::http::Request;
using kim::server::http::Response;
using kim::server::http::Router;
using kim::server::http::request_for_target;

namespace {

Request request(const std::string& method, const std::string& target) { return request_for_target(method, target); }

// The error body: exactly {"error", "message"}, a non-empty message.
std::string error_code_of(const Response& response) {
    const auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_TRUE(body.is_object());
    EXPECT_EQ(body.size(), 2u) << response.body;
    EXPECT_FALSE(body.at("message").get<std::string>().empty());
    return body.at("error").get<std::string>();
}

std::string header_of(const Response& response, const std::string& name) {
    for (const auto& [n, v] : response.headers) {
        if (n == name) return v;
    }
    return "";
}

template <typename Exception>
Response answer_when_handler_throws(Exception e) {
    Router router;
    router.add("POST", "/v1/push", [e](const Request&) -> Response { throw e; });
    return router.handle(request("POST", "/v1/push"));
}

}  // namespace

TEST(router, dispatches_by_method_and_path_and_splits_the_query) {
    Router router;
    std::string seen_query;
    router.add("GET", "/v1/pull", [&](const Request& r) {
        seen_query = r.query;
        return Response{200, "application/json", "{\"pulled\":true}", {}};
    });
    router.add("POST", "/v1/push", [](const Request&) { return Response{200, "application/json", "{}", {}}; });
    const Response pulled = router.handle(request("GET", "/v1/pull?since=3&limit=2"));
    EXPECT_EQ(pulled.status, 200u);
    EXPECT_EQ(pulled.body, "{\"pulled\":true}");
    EXPECT_EQ(seen_query, "since=3&limit=2");
}

TEST(router, unknown_path_is_404_not_found) {
    Router router;
    router.add("GET", "/healthz", [](const Request&) { return Response{}; });
    for (const char* path : {"/", "/v1/nothing", "/healthz/", "/HEALTHZ", "/v1", "/vx/push", "/v/push"}) {
        const Response r = router.handle(request("GET", path));
        EXPECT_EQ(r.status, 404u) << path;
        EXPECT_EQ(error_code_of(r), "not_found") << path;
    }
}

TEST(router, known_path_with_another_method_is_405_with_allow) {
    Router router;
    router.add("GET", "/v1/pull", [](const Request&) { return Response{}; });
    router.add("HEAD", "/v1/pull", [](const Request&) { return Response{}; });
    const Response r = router.handle(request("DELETE", "/v1/pull"));
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(error_code_of(r), "method_not_allowed");
    EXPECT_EQ(header_of(r, "Allow"), "GET, HEAD");
}

TEST(router, another_protocol_version_is_400_naming_the_version_spoken) {
    Router router;
    router.add("POST", "/v1/push", [](const Request&) { return Response{}; });
    for (const char* path : {"/v2/push", "/v0/auth/token", "/v10/pull", "/v01/push", "/v2"}) {
        const Response r = router.handle(request("POST", path));
        EXPECT_EQ(r.status, 400u) << path;
        EXPECT_EQ(error_code_of(r), "unsupported_protocol") << path;
        EXPECT_NE(nlohmann::json::parse(r.body)["message"].get<std::string>().find("version 1"), std::string::npos)
            << r.body;
    }
}

TEST(router, kim_errors_map_to_their_statuses) {
    struct Case {
        Response response;
        unsigned status;
        const char* code;
    };
    const Case cases[] = {
        {answer_when_handler_throws(kim::InputError("the push request lacks 'changes'")), 400, "bad_request"},
        {answer_when_handler_throws(kim::AuthError("the token is not valid")), 401, "unauthenticated"},
        {answer_when_handler_throws(kim::PermissionError("this needs the replica role")), 403, "forbidden"},
        {answer_when_handler_throws(kim::NotFoundError("no such thing")), 404, "not_found"},
        {answer_when_handler_throws(kim::StateError("already there")), 409, "conflict"},
        {answer_when_handler_throws(kim::server::TooLargeError("a push holds at most 2000 changes")), 413,
         "too_large"},
        {answer_when_handler_throws(kim::server::BusyError("too many outstanding challenges")), 503, "busy"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(c.response.status, c.status) << c.code;
        EXPECT_EQ(error_code_of(c.response), c.code);
    }
    // The person's message travels for kim's own errors.
    EXPECT_NE(cases[0].response.body.find("lacks 'changes'"), std::string::npos);
    EXPECT_EQ(header_of(cases[1].response, "WWW-Authenticate"), "Bearer");
    EXPECT_EQ(header_of(cases[6].response, "Retry-After"), "1");
}

TEST(router, any_other_exception_is_500_internal_without_its_text) {
    for (const Response& r : {answer_when_handler_throws(std::runtime_error("secret detail of the server")),
                              answer_when_handler_throws(std::logic_error("another")),
                              answer_when_handler_throws(42),
                              answer_when_handler_throws(kim::IntegrityError("a stored chain does not verify"))}) {
        EXPECT_EQ(r.status, 500u);
        EXPECT_EQ(error_code_of(r), "internal");
        EXPECT_EQ(r.body.find("secret detail"), std::string::npos) << r.body;
    }
}

TEST(router, a_json_error_in_a_handler_is_500_not_a_crash) {
    Router router;
    router.add("POST", "/v1/push", [](const Request&) -> Response {
        return Response{200, "application/json", nlohmann::json(nlohmann::json::array()).at("missing").dump(), {}};
    });
    EXPECT_EQ(router.handle(request("POST", "/v1/push")).status, 500u);
}

TEST(router, route_labels_are_known_paths_or_other) {
    Router router;
    router.add("GET", "/healthz", [](const Request&) { return Response{}; });
    EXPECT_EQ(router.route_label("/healthz"), "/healthz");
    EXPECT_EQ(router.route_label("/healthz?x=1"), "other");
    EXPECT_EQ(router.route_label("/random/path/12345"), "other");
    EXPECT_EQ(router.route_label("-"), "other");
}

TEST(router, error_messages_do_not_echo_a_hostile_path_raw) {
    Router router;
    const Response r = router.handle(request("GET", "/x\r\n\x1b[31m" + std::string(10'000, 'a')));
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.body.find('\r'), std::string::npos);
    EXPECT_EQ(r.body.find('\x1b'), std::string::npos);
    EXPECT_LT(r.body.size(), 500u);
}

TEST(router, body_limits_are_per_route_and_small_for_anything_else) {
    using kim::server::http::RouteOptions;
    using kim::server::http::small_body_limit;
    Router router;
    router.add("POST", "/v1/push", [](const Request&) { return Response{}; }, RouteOptions{16u << 20, {}});
    router.add("POST", "/v1/auth/token", [](const Request&) { return Response{}; }, RouteOptions{4096, {}});
    router.add("GET", "/v1/pull", [](const Request&) { return Response{}; });
    EXPECT_EQ(router.body_limit("POST", "/v1/push"), 16u << 20);
    EXPECT_EQ(router.body_limit("POST", "/v1/auth/token"), 4096u);
    EXPECT_EQ(router.body_limit("GET", "/v1/pull"), small_body_limit);
    // The large limit belongs to the method and path together.
    EXPECT_EQ(router.body_limit("PUT", "/v1/push"), small_body_limit);
    EXPECT_EQ(router.body_limit("GET", "/v1/push"), small_body_limit);
    for (const char* path : {"/v1/push/", "/v2/push", "/V1/PUSH", "/nothing", ""}) {
        EXPECT_EQ(router.body_limit("POST", path), small_body_limit) << path;
    }
    EXPECT_LE(small_body_limit, 16u * 1024);
}

TEST(router, a_header_check_refuses_before_the_body_with_the_usual_mapping) {
    using kim::server::http::RouteOptions;
    Router router;
    int checks = 0;
    int handled = 0;
    router.add(
        "POST", "/v1/push",
        [&](const Request&) {
            ++handled;
            return Response{};
        },
        RouteOptions{1024, [&](const Request& head) {
                         ++checks;
                         EXPECT_TRUE(head.body.empty());
                         if (head.authorization != "Bearer good") throw kim::AuthError("the token is not valid");
                     }});
    router.add("GET", "/healthz", [](const Request&) { return Response{}; });

    Request forged = request("POST", "/v1/push?x=1");
    forged.authorization = "Bearer forged";
    const auto refusal = router.check_before_body(forged);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 401u);
    EXPECT_EQ(error_code_of(*refusal), "unauthenticated");
    EXPECT_EQ(header_of(*refusal, "WWW-Authenticate"), "Bearer");
    EXPECT_TRUE(router.check_before_body(request("POST", "/v1/push")).has_value());  // no token at all

    Request good = request("POST", "/v1/push");
    good.authorization = "Bearer good";
    EXPECT_FALSE(router.check_before_body(good).has_value());
    EXPECT_EQ(checks, 3);
    EXPECT_EQ(handled, 0);  // the check never runs the handler

    // Routes without a check, other methods and unknown paths: nothing to
    // refuse before the body (handle() answers them as before).
    EXPECT_FALSE(router.check_before_body(request("GET", "/healthz")).has_value());
    EXPECT_FALSE(router.check_before_body(request("GET", "/v1/push")).has_value());
    EXPECT_FALSE(router.check_before_body(request("POST", "/v2/push")).has_value());
    EXPECT_EQ(checks, 3);
}

TEST(router, a_header_check_that_fails_otherwise_is_500_not_a_crash) {
    using kim::server::http::RouteOptions;
    Router router;
    router.add("POST", "/v1/push", [](const Request&) { return Response{}; },
               RouteOptions{1024, [](const Request&) { throw std::runtime_error("secret detail"); }});
    const auto refusal = router.check_before_body(request("POST", "/v1/push"));
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 500u);
    EXPECT_EQ(refusal->body.find("secret detail"), std::string::npos);
}
