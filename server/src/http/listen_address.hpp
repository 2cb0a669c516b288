// `--listen HOST:PORT`: which address and port the server binds, and whether
// that address is loopback (the only place plain HTTP is allowed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kim::server::http {

struct ListenAddress {
    std::string host;  // an IP address in its canonical text form, without brackets
    std::uint16_t port = 0;  // 0: the system picks a free port
    bool ipv6 = false;
};

// Accepts "127.0.0.1:8443", "[::1]:8443", "0.0.0.0:443", "[::]:443" and
// "localhost:PORT" (taken as 127.0.0.1). Host names are refused: a server
// binds an address, and a name could resolve elsewhere tomorrow.
// InputError naming the problem otherwise.
ListenAddress parse_listen_address(std::string_view text);

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. The unspecified addresses
// (0.0.0.0, ::) are not loopback: they listen on every interface.
bool is_loopback(const ListenAddress& address);

// "127.0.0.1:8443" or "[::1]:8443", as a URL authority.
std::string authority(const ListenAddress& address, std::uint16_t port);

}  // namespace kim::server::http
