// Parsing and normalising the server's URL, and the loopback rule for http.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "kim/client/sync.hpp"

namespace kim::client {

namespace {

const char* const url_examples = " (e.g. https://kim.example.org or http://127.0.0.1:8443)";

InputError bad_url(std::string_view text, const std::string& what) {
    // Never quoted with an '@' in it: what precedes it may be a password.
    if (text.find('@') != std::string_view::npos) return InputError("the server URL is not valid: " + what + url_examples);
    // Bounded: a URL is not personal data, but it is still typed input.
    return InputError("the server URL '" + std::string(text.substr(0, 200)) + "' is not valid: " + what + url_examples);
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_ipv6(const std::string& host) {
    in6_addr a{};
    return inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

bool valid_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-') return false;
    return std::all_of(host.begin(), host.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    const std::string h = lowercase(host);
    if (h == "localhost") return true;
    in_addr v4{};
    if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

std::string ServerUrl::authority() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string ServerUrl::text() const {
    const std::uint16_t default_port = tls ? 443 : 80;
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? "https://" : "http://") + h + (port == default_port ? "" : ":" + std::to_string(port));
}

ServerUrl parse_server_url(std::string_view text) {
    ServerUrl url;
    {
        // User info first, before any message could quote the URL.
        const auto scheme_end = text.find("://");
        const std::string_view after = scheme_end == std::string_view::npos ? text : text.substr(scheme_end + 3);
        if (after.substr(0, after.find('/')).find('@') != std::string_view::npos) {
            throw InputError(std::string("the server URL is not valid: user names or passwords do not belong in it "
                                         "(replicas authenticate with their key)") + url_examples);
        }
    }
    const std::string lower = lowercase(text);
    std::string_view rest;
    if (lower.starts_with("https://")) {
        url.tls = true;
        rest = text.substr(8);
    } else if (lower.starts_with("http://")) {
        rest = text.substr(7);
    } else {
        throw bad_url(text, "it must start with https:// (or http:// for a server on this computer)");
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos && rest.substr(slash) != "/") {
        throw bad_url(text, "give only the server's address, without a path, query or fragment");
    }
    if (authority.find_first_of("?# \t") != std::string_view::npos) throw bad_url(text, "it holds characters that do not belong in a host name");

    std::string_view host;
    std::string_view port;
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) throw bad_url(text, "an IPv6 address needs its closing ']'");
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw bad_url(text, "only ':PORT' may follow the IPv6 address");
            port = after.substr(1);
            if (port.empty()) throw bad_url(text, "the port after ':' is missing");
        }
        url.host = lowercase(host);
        if (!is_ipv6(url.host)) throw bad_url(text, "the part in [ ] is not an IPv6 address");
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) throw bad_url(text, "the port after ':' is missing");
        }
        url.host = lowercase(host);
        if (!valid_host_name(url.host)) throw bad_url(text, "the host name is missing or has characters other than a-z, 0-9, '-' and '.'");
    }
    if (port.empty()) {
        url.port = url.tls ? 443 : 80;
    } else {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
            throw bad_url(text, "the port must be a number from 1 to 65535");
        }
        const unsigned long n = std::stoul(std::string(port));
        if (n == 0 || n > 65535) throw bad_url(text, "the port must be a number from 1 to 65535");
        url.port = static_cast<std::uint16_t>(n);
    }
    if (!url.tls && !is_loopback_host(url.host)) {
        throw InputError("plain http is allowed only to a server on this computer (127.0.0.1, ::1, localhost), so that case "
                         "data never crosses a network unencrypted: use https://" + url.host + " (the server needs "
                         "--tls-cert and --tls-key)");
    }
    return url;
}

}  // namespace kim::client
