#include "listen_address.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

#include "http_message.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server::http {

namespace {

[[noreturn]] void refuse(std::string_view text, const std::string& why) {
    throw InputError("--listen " + printable_excerpt(text, 80) + ": " + why +
                     "; give HOST:PORT with an IP address, e.g. 127.0.0.1:8443 or [::1]:8443");
}

std::uint16_t parse_port(std::string_view text, std::string_view port) {
    if (port.empty()) refuse(text, "the port is missing");
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
        refuse(text, "the port must be a number from 0 to 65535 (0 picks a free one)");
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) refuse(text, "an IPv6 address in brackets lacks its ']'");
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (!rest.starts_with(':')) refuse(text, "the port is missing after the IPv6 address");
        port = rest.substr(1);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) refuse(text, "a host and a port are needed, separated by a colon");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) refuse(text, "an IPv6 address needs brackets");
    }
    if (host.empty()) refuse(text, "the address is missing");

    ListenAddress result;
    result.port = parse_port(text, port);
    if (host == "localhost") {
        result.host = "127.0.0.1";
        return result;
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(host), ec);
    if (ec) refuse(text, "'" + printable_excerpt(host, 60) + "' is not an IP address");
    if (address.is_v6() && !text.starts_with('[')) refuse(text, "an IPv6 address needs brackets");
    if (address.is_v4() && text.starts_with('[')) refuse(text, "only IPv6 addresses go in brackets");
    if (address.is_v6() && address.to_v6().scope_id() != 0) refuse(text, "scoped IPv6 addresses are not supported");
    result.host = address.to_string();
    result.ipv6 = address.is_v6();
    return result;
}

bool is_loopback(const ListenAddress& listen) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(listen.host, ec);
    if (ec) return false;
    if (address.is_v4()) return address.to_v4().is_loopback();
    const auto v6 = address.to_v6();
    if (v6.is_loopback()) return true;
    return v6.is_v4_mapped() && boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback();
}

std::string authority(const ListenAddress& address, std::uint16_t port) {
    const std::string host = address.ipv6 ? "[" + address.host + "]" : address.host;
    return host + ":" + std::to_string(port);
}

}  // namespace kim::server::http
