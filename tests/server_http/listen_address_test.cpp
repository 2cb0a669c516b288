// `--listen HOST:PORT`: parsing, and which addresses count as loopback (the
// only ones where plain HTTP is allowed).
#include <gtest/gtest.h>

#include <string>

#include "error_message.hpp"
#include "http/listen_address.hpp"
#include "kim/shared/errors.hpp"

using kim::server::http::ListenAddress;
using kim::server::http::authority;
using kim::server::http::is_loopback;
using kim::server::http::parse_listen_address;

TEST(listen_address, ipv4_with_port) {
    const ListenAddress a = parse_listen_address("127.0.0.1:8443");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 8443);
    EXPECT_FALSE(a.ipv6);
}

TEST(listen_address, port_zero_asks_for_a_free_port) {
    EXPECT_EQ(parse_listen_address("127.0.0.1:0").port, 0);
    EXPECT_EQ(parse_listen_address("127.0.0.1:65535").port, 65535);
}

TEST(listen_address, ipv6_in_brackets) {
    const ListenAddress a = parse_listen_address("[::1]:9000");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 9000);
    EXPECT_TRUE(a.ipv6);
    EXPECT_EQ(authority(a, 9000), "[::1]:9000");
    EXPECT_EQ(parse_listen_address("[::]:443").host, "::");
}

TEST(listen_address, localhost_is_the_ipv4_loopback) {
    const ListenAddress a = parse_listen_address("localhost:8080");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_TRUE(is_loopback(a));
}

TEST(listen_address, malformed_addresses_are_refused_with_advice) {
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:-1",
                            "127.0.0.1:80x", "127.0.0.1: 80", "::1:8080", "[::1]8080", "[::1", "[127.0.0.1]:80",
                            "example.org:443", "256.0.0.1:80", "[fe80::1%eth0]:80", "127.0.0.1:+80"}) {
        const std::string message =
            kim::test::error_message_of<kim::InputError>([&] { parse_listen_address(bad); });
        EXPECT_NE(message.find("--listen"), std::string::npos) << bad << ": " << message;
        EXPECT_NE(message.find("HOST:PORT"), std::string::npos) << bad << ": " << message;
    }
}

TEST(listen_address, messages_do_not_echo_control_characters) {
    const std::string message =
        kim::test::error_message_of<kim::InputError>([] { parse_listen_address("a\nb:80"); });
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(listen_address, loopback_addresses) {
    for (const char* loopback : {"127.0.0.1:1", "127.1.2.3:1", "[::1]:1", "[::ffff:127.0.0.1]:1"}) {
        EXPECT_TRUE(is_loopback(parse_listen_address(loopback))) << loopback;
    }
}

TEST(listen_address, every_other_address_is_not_loopback) {
    for (const char* other : {"0.0.0.0:1", "[::]:1", "10.0.0.5:1", "192.168.1.2:1", "[2001:db8::1]:1",
                              "[::ffff:10.0.0.1]:1", "128.0.0.1:1"}) {
        EXPECT_FALSE(is_loopback(parse_listen_address(other))) << other;
    }
}
