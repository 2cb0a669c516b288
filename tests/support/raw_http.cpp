// Blocking loopback sockets with poll() timeouts.
#include "raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <stdexcept>

namespace kim::test {

nlohmann::json HttpResponse::json() const {
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception&) {
        throw std::runtime_error("HTTP " + std::to_string(status) + " answer is not JSON: " + body.substr(0, 500));
    }
}

int connect_loopback(int port) {
    std::signal(SIGPIPE, SIG_IGN);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

namespace {

void send_all(int fd, std::string_view bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;  // the server may close early (e.g. 413): read what it said
        sent += static_cast<std::size_t>(n);
    }
}

// Reads until close or timeout; stops early once a complete response with a
// Content-Length has arrived when `one_response` is set.
std::string read_until_close(int fd, int timeout_ms, bool one_response) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    for (;;) {
        if (one_response) {
            const auto end = got.find("\r\n\r\n");
            if (end != std::string::npos) {
                const HttpResponse r = parse_response(got);
                const auto cl = r.headers.find("content-length");
                if (cl != r.headers.end() && got.size() >= end + 4 + std::stoull(cl->second)) return got;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return got;
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return got;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return got;
        got.append(buf, static_cast<std::size_t>(n));
    }
}

}  // namespace

HttpResponse parse_response(const std::string& raw) {
    HttpResponse r;
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos) return r;
    const std::string head = raw.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return r;
    r.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[name] = value;
    }
    std::string body = raw.substr(head_end + 4);
    if (auto cl = r.headers.find("content-length"); cl != r.headers.end()) {
        body.resize(std::min<std::size_t>(body.size(), std::stoull(cl->second)));
    }
    r.body = std::move(body);
    return r;
}

std::string raw_exchange(int port, std::string_view bytes, int timeout_ms) {
    const int fd = connect_loopback(port);
    if (fd < 0) throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    send_all(fd, bytes);
    std::string got = read_until_close(fd, timeout_ms, false);
    ::close(fd);
    return got;
}

HttpResponse http_request(int port, std::string_view method, std::string_view target, std::string_view body,
                          const Headers& headers, int timeout_ms) {
    std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                      std::to_string(port) + "\r\nConnection: close\r\n";
    bool has_type = false;
    for (const auto& [name, value] : headers) {
        req += name + ": " + value + "\r\n";
        if (name == "Content-Type") has_type = true;
    }
    if (!body.empty() || method == "POST") {
        if (!has_type) req += "Content-Type: application/json\r\n";
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req += body;
    const int fd = connect_loopback(port);
    if (fd < 0) throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    send_all(fd, req);
    const std::string got = read_until_close(fd, timeout_ms, true);
    ::close(fd);
    return parse_response(got);
}

}  // namespace kim::test
