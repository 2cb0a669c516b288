#include "request_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string>

#include "http_message.hpp"

namespace kim::server::http {

namespace {

std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace

void log_line(std::string_view text) {
    static std::mutex mutex;
    std::string line = utc_now();
    line += ' ';
    line += text;
    line += '\n';
    const std::lock_guard lock(mutex);
    std::cerr << line << std::flush;
}

void log_request(std::string_view method, std::string_view path, unsigned status, double milliseconds) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", milliseconds);
    log_line(printable_excerpt(method, 16) + " " + printable_excerpt(path, 200) + " " + std::to_string(status) + " " +
             ms + " ms");
}

}  // namespace kim::server::http
