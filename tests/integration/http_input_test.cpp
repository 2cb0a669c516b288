// Hostile and broken HTTP against the real kim-server: every bad request gets
// a clear status and message, slow and excess connections are cut, and none
// of it crashes the server or changes what it stores.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kim/shared/protocol.hpp"
#include "run_process.hpp"
#include "server_fixture.hpp"

namespace {

using kim::Change;
using kim::test::HttpResponse;
using kim::test::ProtocolClient;
using kim::test::ServerProcess;
using kim::test::TempDir;
using kim::test::http_request;
using nlohmann::json;

class http_input : public kim::test::ServerSuite {
protected:
    static void expect_error(const HttpResponse& r, int status, const std::string& code) {
        EXPECT_EQ(r.status, status) << r.body;
        const json body = r.json();
        EXPECT_EQ(body.at("error"), code) << r.body;
        EXPECT_FALSE(body.at("message").get<std::string>().empty());
    }
    static void expect_alive() { EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200); }
};

TEST_F(http_input, health_answers_without_a_token) {
    const HttpResponse r = http_request(port(), "GET", "/healthz");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("status"), "ok");
    EXPECT_EQ(r.json().at("protocol"), kim::protocol::version);
}

TEST_F(http_input, malformed_json_is_a_400_with_a_message) {
    ProtocolClient a = enrolled("hamborn-a", "site-json");
    expect_error(a.push_body("{\"changes\": [ {\"origin\": "), 400, "bad_request");
    expect_error(a.push_body("not json at all"), 400, "bad_request");
    expect_error(a.push_body("[1,2,3]"), 400, "bad_request");
    expect_error(a.push_body(R"({"changes": [], "colour": "red"})"), 400, "bad_request");
    expect_error(a.push_body(std::string("{\"changes\": [\"\xff\xfe\"]}")), 400, "bad_request");  // invalid UTF-8
    expect_error(http_request(port(), "POST", "/v1/auth/challenge", "{"), 400, "bad_request");
    expect_alive();
}

TEST_F(http_input, deeply_nested_json_is_refused_not_a_crash) {
    ProtocolClient a = enrolled("hamborn-a", "site-deep");
    const std::string deep = "{\"changes\": " + std::string(100'000, '[') + std::string(100'000, ']') + "}";
    expect_error(a.push_body(deep), 400, "bad_request");
    expect_alive();
}

TEST_F(http_input, body_over_the_limit_is_a_413) {
    ProtocolClient a = enrolled("hamborn-a", "site-big");
    const std::string big(kim::protocol::max_request_body_bytes + 1024, ' ');
    const HttpResponse r = a.push_body(big);
    EXPECT_EQ(r.status, 413) << r.body;
    expect_alive();
}

TEST_F(http_input, too_many_changes_in_one_push_is_a_413) {
    ProtocolClient a = enrolled("hamborn-a", "site-many");
    json changes = json::array();
    for (std::size_t i = 0; i <= kim::protocol::max_push_changes; ++i) changes.push_back(json::object());
    expect_error(a.push_json(changes), 413, "too_large");
    expect_alive();
}

TEST_F(http_input, truncated_body_does_not_store_anything) {
    ProtocolClient a = enrolled("hamborn-a", "site-truncated");
    Change c = a.next_case_change();
    a.seal_and_advance(c);
    const std::string body = json{{"changes", json::array({kim::change_to_json(c)})}}.dump();
    // Content-Length promises the whole body, the connection ends half way.
    const std::string request = "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + a.token() +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body.substr(0, body.size() / 2);
    const int fd = kim::test::connect_loopback(port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    ::close(fd);
    expect_alive();
    EXPECT_TRUE(enrolled("peer", "site-truncated").pull_all().empty());
    // The whole change afterwards is accepted as the first of its origin.
    EXPECT_EQ(a.push({c}).status, 200);
}

TEST_F(http_input, unknown_path_is_404_and_wrong_method_is_405) {
    expect_error(http_request(port(), "GET", "/v1/nothing-here"), 404, "not_found");
    expect_error(http_request(port(), "GET", "/etc/passwd"), 404, "not_found");
    const HttpResponse r = http_request(port(), "GET", "/v1/push");
    expect_error(r, 405, "method_not_allowed");
    EXPECT_NE(r.headers.count("allow"), 0u);
    expect_error(http_request(port(), "DELETE", "/v1/pull"), 405, "method_not_allowed");
}

TEST_F(http_input, another_protocol_version_gets_a_clear_error) {
    const HttpResponse r = http_request(port(), "POST", "/v2/push", "{}");
    expect_error(r, 400, "unsupported_protocol");
    EXPECT_NE(r.json().at("message").get<std::string>().find('1'), std::string::npos) << r.body;
}

TEST_F(http_input, bad_pull_parameters_are_400) {
    ProtocolClient a = enrolled("hamborn-a", "site-query");
    for (const char* query : {"since=abc", "since=-1", "limit=0", "limit=999999", "since=1e3",
                                     "since=99999999999999999999999"}) {
        const HttpResponse r = http_request(port(), "GET", std::string("/v1/pull?") + query, "",
                                            {{"Authorization", "Bearer " + a.token()}});
        expect_error(r, 400, "bad_request");
    }
}

TEST_F(http_input, garbage_on_the_wire_does_not_hurt_the_server) {
    for (const std::string& garbage :
         {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), std::string("GET / HTTP/9.9\r\n\r\n"),
          std::string("POST /v1/push HTTP/1.1\r\nContent-Length: -5\r\n\r\n"),
          std::string("POST /v1/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
          std::string(70'000, 'A') + "\r\n\r\n"}) {
        kim::test::raw_exchange(port(), garbage, 3000);
        expect_alive();
    }
}

TEST_F(http_input, metrics_count_requests_refusals_and_stored_changes) {
    // The suite shares one server: compare the counters before and after.
    const auto metric = [](const std::string& text, const std::string& series) -> long {
        const auto at = text.find("\n" + series + " ");
        if (at == std::string::npos) return -1;
        return std::stol(text.substr(at + series.size() + 2));
    };
    const std::string before = http_request(port(), "GET", "/metrics").body;
    ProtocolClient a = enrolled("hamborn-a", "site-metrics");
    Change first = a.next_case_change();
    a.seal_and_advance(first);
    ASSERT_EQ(a.push({first}).status, 200);
    Change skipped = a.next_case_change();
    a.seal_and_advance(skipped);
    Change third = a.next_case_change();
    a.seal_and_advance(third);
    ASSERT_EQ(a.push({third}).status, 422);  // a gap
    const HttpResponse m = http_request(port(), "GET", "/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_NE(m.headers.at("content-type").find("text/plain"), std::string::npos);
    const std::string stored = "kim_changes_stored_total";
    const std::string gaps = "kim_push_refusals_total{reason=\"gap\"}";
    const std::string forged = "kim_push_refusals_total{reason=\"bad_signature\"}";
    ASSERT_GE(metric(before, stored), 0) << before;
    EXPECT_EQ(metric(m.body, stored) - metric(before, stored), 1) << m.body;
    EXPECT_EQ(metric(m.body, gaps) - metric(before, gaps), 1) << m.body;
    EXPECT_EQ(metric(m.body, forged), metric(before, forged)) << m.body;
    EXPECT_NE(m.body.find("kim_http_request_duration_seconds_bucket"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("kim_http_requests_total"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("kim_push_batches_total"), std::string::npos) << m.body;
    EXPECT_EQ(m.body.find(a.token()), std::string::npos);
}

TEST_F(http_input, a_slow_client_is_cut_off) {
    // Slowloris: a header that never ends, one byte every 500 ms.
    const int fd = kim::test::connect_loopback(port());
    ASSERT_GE(fd, 0);
    const std::string drip = "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const auto start = std::chrono::steady_clock::now();
    bool cut = false;
    for (char ch : drip) {
        if (::send(fd, &ch, 1, MSG_NOSIGNAL) != 1) {
            cut = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ::close(fd);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(cut) << "the server let a header drip for " << seconds << " s";
    EXPECT_LE(seconds, 15);
    expect_alive();
}

TEST(http_limits, connections_beyond_the_bound_are_turned_away_and_the_server_recovers) {
    TempDir dir("kimserver");
    ServerProcess server(KIM_SERVER_BINARY, dir / "data");
    server.start({"--max-connections", "4"});
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) idle.push_back(kim::test::connect_loopback(server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // The fifth is answered 503 at once rather than left waiting.
    const auto start = std::chrono::steady_clock::now();
    const HttpResponse r = http_request(server.port(), "GET", "/healthz", "", {}, 5000);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json().at("error"), "busy");
    EXPECT_EQ(r.headers.count("retry-after"), 1u);
    for (int fd : idle) ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(http_request(server.port(), "GET", "/healthz").status, 200);
}

TEST(http_limits, plain_http_outside_loopback_is_refused_at_start) {
    TempDir dir("kimserver");
    ServerProcess server(KIM_SERVER_BINARY, dir / "data");
    try {
        server.start({}, "0.0.0.0:0");
        FAIL() << "the server started plain HTTP on all interfaces";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("tls"), std::string::npos) << e.what();
    }
}

TEST(http_limits, sigterm_stops_the_server_cleanly) {
    TempDir dir("kimserver");
    ServerProcess server(KIM_SERVER_BINARY, dir / "data");
    server.start();
    ASSERT_EQ(http_request(server.port(), "GET", "/healthz").status, 200);
    EXPECT_EQ(server.stop(), 0);
    EXPECT_LT(kim::test::connect_loopback(server.port()), 0);
}

TEST(http_limits, tls_serves_with_the_given_certificate) {
    TempDir dir("kimserver");
    const auto cert = dir / "cert.pem";
    const auto key = dir / "key.pem";
    const auto made = kim::test::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                              "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                                              "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                                              key.string(), "-out", cert.string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ServerProcess server(KIM_SERVER_BINARY, dir / "data");
    server.start({"--tls-cert", cert.string(), "--tls-key", key.string()});
    EXPECT_EQ(server.url().rfind("https://", 0), 0u) << server.url();
    const std::string port = std::to_string(server.port());
    const auto answer = kim::test::run_process(
        {"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile", cert.string(),
         "-verify_return_error", "-quiet"},
        {}, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(answer.out.find("HTTP/1.1 200"), std::string::npos) << answer.out << answer.err;
    // Plain HTTP to the TLS port gets nowhere, and the server stays up.
    EXPECT_EQ(http_request(server.port(), "GET", "/healthz", "", {}, 3000).status, 0);
    const auto again = kim::test::run_process(
        {"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile", cert.string(), "-quiet"}, {},
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(again.out.find("HTTP/1.1 200"), std::string::npos) << again.out << again.err;
}

TEST_F(http_input, a_large_body_to_the_auth_routes_is_a_413_at_once) {
    // Anyone may call /v1/auth/*: their limit is 16 KiB, not the 16 MiB of a push.
    const std::string big(1024 * 1024, ' ');
    for (const char* path : {"/v1/auth/challenge", "/v1/auth/token"}) {
        const auto start = std::chrono::steady_clock::now();
        const HttpResponse r = http_request(port(), "POST", path, big, {}, 10'000);
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << path;
        expect_error(r, 413, "too_large");
        EXPECT_NE(r.json().at("message").get<std::string>().find("16 KiB"), std::string::npos) << r.body;
    }
    // So are GET routes and unknown paths with a body over 16 KiB.
    expect_error(http_request(port(), "GET", "/healthz", std::string(64 * 1024, ' ')), 413, "too_large");
    expect_error(http_request(port(), "POST", "/v1/nothing-here", std::string(64 * 1024, ' ')), 413, "too_large");
    expect_alive();
}

TEST_F(http_input, a_push_without_a_valid_token_is_a_401_before_its_body) {
    // The header promises 10 MiB; only a few bytes follow. Were the server
    // waiting for the body, the answer would be a 408 after 30 s.
    for (const std::string& authorization :
         {std::string(), std::string("Authorization: Bearer kim1.eyJzdWIiOiJ4In0.AAAA\r\n")}) {
        const std::string request = "POST /v1/push HTTP/1.1\r\nHost: x\r\n" + authorization +
                                    "Content-Type: application/json\r\nContent-Length: " +
                                    std::to_string(10 * 1024 * 1024) + "\r\n\r\n{\"changes\": [";
        const auto start = std::chrono::steady_clock::now();
        const HttpResponse r = kim::test::parse_response(kim::test::raw_exchange(port(), request, 10'000));
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << authorization;
        expect_error(r, 401, "unauthenticated");
        ASSERT_EQ(r.headers.count("www-authenticate"), 1u) << authorization;
        EXPECT_EQ(r.headers.at("www-authenticate"), "Bearer");
    }
    expect_alive();
}

}  // namespace
