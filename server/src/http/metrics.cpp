#include "metrics.hpp"

#include <charconv>

namespace kim::server::http {

namespace {

// Shortest exact text of a double, as Prometheus parses it.
std::string number(double value) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc{} ? std::string(text, end) : std::string("NaN");
}

// Label values are escaped as the text format asks, although every value we
// use is one of our own constants.
std::string label_value(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

Metrics::Metrics() {
    for (const auto reason : protocol::all_refusals()) refusals_[reason] = 0;
}

void Metrics::count_request(std::string_view route, unsigned status, double seconds) {
    const std::lock_guard lock(mutex_);
    ++requests_[{std::string(route), status}];
    for (std::size_t i = 0; i < duration_buckets.size(); ++i) {
        if (seconds <= duration_buckets[i]) {
            ++bucket_counts_[i];
            break;
        }
    }
    ++duration_count_;
    duration_sum_ += seconds;
}

void Metrics::count_push(bool stored, std::size_t changes_stored, const std::vector<protocol::Refusal>& refusals) {
    const std::lock_guard lock(mutex_);
    if (stored) {
        ++batches_stored_;
        changes_stored_ += changes_stored;
    } else {
        ++batches_refused_;
    }
    for (const auto reason : refusals) ++refusals_[reason];
}

void Metrics::count_purged(std::size_t ciphertexts) {
    if (ciphertexts == 0) return;
    const std::lock_guard lock(mutex_);
    ciphertexts_purged_ += ciphertexts;
}

void Metrics::connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
void Metrics::connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }

std::string Metrics::render() const {
    std::string out;
    const std::lock_guard lock(mutex_);

    header(out, "kim_http_requests_total", "counter", "HTTP requests answered, by route and status.");
    for (const auto& [key, count] : requests_) {
        out += "kim_http_requests_total{path=\"" + label_value(key.first) + "\",status=\"" +
               std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
    }

    header(out, "kim_push_batches_total", "counter", "Push batches, stored whole or refused whole.");
    out += "kim_push_batches_total{result=\"stored\"} " + std::to_string(batches_stored_) + "\n";
    out += "kim_push_batches_total{result=\"refused\"} " + std::to_string(batches_refused_) + "\n";

    header(out, "kim_changes_stored_total", "counter", "Changes appended to the log (duplicates not counted).");
    out += "kim_changes_stored_total " + std::to_string(changes_stored_) + "\n";

    header(out, "kim_ciphertexts_purged_total", "counter",
           "Ciphertexts of erased records removed from the log (their hashes stay).");
    out += "kim_ciphertexts_purged_total " + std::to_string(ciphertexts_purged_) + "\n";

    header(out, "kim_push_refusals_total", "counter", "Refused changes, by reason.");
    for (const auto& [reason, count] : refusals_) {
        out += "kim_push_refusals_total{reason=\"" + label_value(protocol::to_string(reason)) + "\"} " +
               std::to_string(count) + "\n";
    }

    header(out, "kim_http_request_duration_seconds", "histogram",
           "Time from the first byte of a request to its response being written.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < duration_buckets.size(); ++i) {
        cumulative += bucket_counts_[i];
        out += "kim_http_request_duration_seconds_bucket{le=\"" + number(duration_buckets[i]) + "\"} " +
               std::to_string(cumulative) + "\n";
    }
    out += "kim_http_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(duration_count_) + "\n";
    out += "kim_http_request_duration_seconds_sum " + number(duration_sum_) + "\n";
    out += "kim_http_request_duration_seconds_count " + std::to_string(duration_count_) + "\n";

    header(out, "kim_open_connections", "gauge", "Client connections open now.");
    out += "kim_open_connections " + std::to_string(open_connections_.load(std::memory_order_relaxed)) + "\n";
    return out;
}

}  // namespace kim::server::http
