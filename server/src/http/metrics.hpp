// The server's figures in the Prometheus text format (version 0.0.4), for
// GET /metrics. Labels take values from small fixed sets only (route paths
// the router knows or "other", status codes, refusal reasons), so that no
// client can grow the set of series, and no label ever holds personal data.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kim/shared/protocol.hpp"

namespace kim::server::http {

class Metrics {
public:
    // Upper bounds of the latency histogram, in seconds (+Inf is implied).
    static constexpr std::array<double, 12> duration_buckets{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                              0.25,  0.5,   1.0,  2.5,   5.0,  10.0};

    Metrics();

    // Thread-safe. `route` is Router::route_label(path): a known path or "other".
    void count_request(std::string_view route, unsigned status, double seconds);
    // One push batch: stored (its accepted changes are new in the log) or refused.
    void count_push(bool stored, std::size_t changes_stored, const std::vector<protocol::Refusal>& refusals);
    // Ciphertexts of erased records removed from the log by a stored batch.
    void count_purged(std::size_t ciphertexts);
    void connection_opened();
    void connection_closed();

    // The whole exposition, every refusal reason listed even at zero.
    std::string render() const;

private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
    std::uint64_t batches_stored_ = 0;
    std::uint64_t batches_refused_ = 0;
    std::uint64_t changes_stored_ = 0;
    std::uint64_t ciphertexts_purged_ = 0;
    std::map<protocol::Refusal, std::uint64_t> refusals_;
    std::array<std::uint64_t, duration_buckets.size()> bucket_counts_{};  // not cumulative
    std::uint64_t duration_count_ = 0;
    double duration_sum_ = 0;
    std::atomic<std::int64_t> open_connections_{0};
};

}  // namespace kim::server::http
