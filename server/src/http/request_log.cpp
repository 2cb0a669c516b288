#include "request_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string>

#include "http_message.hpp"
#include "kim/shared/time_format.hpp"

namespace kim::server::http {

void log_line(std::string_view text) {
    static std::mutex mutex;
    std::string line = utc_iso(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
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
