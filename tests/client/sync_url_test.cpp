// The server URL: what `kim config server` and `--server` accept, and the
// rule that plain http goes to this computer only.
#include <gtest/gtest.h>

#include <string>

#include "kim/client/sync.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::client::is_loopback_host;
using kim::client::parse_server_url;

std::string refusal_of(const std::string& url) {
    try {
        parse_server_url(url);
    } catch (const kim::InputError& e) {
        return e.what();
    }
    return "";
}

TEST(sync_url, https_urls_are_normalised) {
    const auto u = parse_server_url("HTTPS://Kim.Example.ORG/");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "kim.example.org");
    EXPECT_EQ(u.port, 443);
    EXPECT_EQ(u.text(), "https://kim.example.org");
    EXPECT_EQ(u.authority(), "kim.example.org:443");

    const auto p = parse_server_url("https://kim.example.org:8443");
    EXPECT_EQ(p.port, 8443);
    EXPECT_EQ(p.text(), "https://kim.example.org:8443");
    EXPECT_EQ(parse_server_url("https://kim.example.org:443").text(), "https://kim.example.org");
    EXPECT_EQ(parse_server_url("https://192.0.2.7:9443").host, "192.0.2.7");
}

TEST(sync_url, plain_http_is_accepted_on_loopback_only) {
    EXPECT_EQ(parse_server_url("http://127.0.0.1:8080").text(), "http://127.0.0.1:8080");
    EXPECT_EQ(parse_server_url("http://localhost:8080").port, 8080);
    EXPECT_EQ(parse_server_url("http://127.1.2.3:80").text(), "http://127.1.2.3");
    const auto v6 = parse_server_url("http://[::1]:9000");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.text(), "http://[::1]:9000");
    EXPECT_EQ(v6.authority(), "[::1]:9000");

    for (const char* remote : {"http://kim.example.org:8080", "http://192.0.2.7:8080", "http://[2001:db8::1]:80",
                               "http://10.0.0.1", "http://128.0.0.1:1"}) {
        const std::string why = refusal_of(remote);
        EXPECT_NE(why.find("plain http is allowed only"), std::string::npos) << remote << ": " << why;
        EXPECT_NE(why.find("https://"), std::string::npos) << "the refusal says what to use instead: " << why;
    }
}

TEST(sync_url, malformed_urls_are_refused_with_the_reason) {
    const std::pair<const char*, const char*> cases[] = {
        {"kim.example.org", "must start with https://"},
        {"ftp://kim.example.org", "must start with https://"},
        {"", "must start with https://"},
        {"https://", "host name is missing"},
        {"https://kim.example.org/v1/", "without a path"},
        {"https://kim.example.org?x=1", "characters that do not belong"},
        {"https://user:secret@kim.example.org", "user names or passwords"},
        {"https://kim.example.org:", "port after ':' is missing"},
        {"https://kim.example.org:0", "from 1 to 65535"},
        {"https://kim.example.org:65536", "from 1 to 65535"},
        {"https://kim.example.org:84a3", "from 1 to 65535"},
        {"https://kim.example.org:123456", "from 1 to 65535"},
        {"https://[::1", "closing ']'"},
        {"https://[not-v6]:1", "not an IPv6 address"},
        {"https://[::1]x", "only ':PORT'"},
        {"https://kim_example.org", "host name"},
        {"https://kim example.org", "characters that do not belong"},
    };
    for (const auto& [url, reason] : cases) {
        const std::string why = refusal_of(url);
        EXPECT_NE(why.find(reason), std::string::npos) << "'" << url << "' refused with: '" << why << "', expected '" << reason << "'";
    }
    // What precedes '@' may be a password: never repeated.
    EXPECT_EQ(refusal_of("https://user:secret@kim.example.org").find("secret"), std::string::npos);
    // Nor when another rule would refuse the URL first (scheme, path).
    for (const char* url : {"ftp://user:secret@kim.example.org", "user:secret@kim.example.org",
                            "https://user:secret@kim.example.org/v1/", "https://kim.example.org/x@secret"}) {
        EXPECT_EQ(refusal_of(url).find("secret"), std::string::npos) << refusal_of(url);
    }
    // A long URL is quoted only in part.
    EXPECT_LE(refusal_of("https://" + std::string(1000, 'a') + "/x").size(), 400u);
}

TEST(sync_url, loopback_hosts) {
    for (const char* h : {"localhost", "LOCALHOST", "127.0.0.1", "127.255.255.254", "::1"}) EXPECT_TRUE(is_loopback_host(h)) << h;
    for (const char* h : {"", "kim.example.org", "128.0.0.1", "0.0.0.0", "::", "::2", "10.0.0.1", "localhost.example.org"}) {
        EXPECT_FALSE(is_loopback_host(h)) << h;
    }
}

}  // namespace
