// The Prometheus text of GET /metrics: every family with HELP and TYPE, every
// refusal reason at zero, a cumulative histogram, a bounded label set.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/metrics.hpp"
#include "kim/shared/protocol.hpp"

using kim::server::http::Metrics;
namespace protocol = kim::protocol;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l == line) return true;
    }
    return false;
}

}  // namespace

TEST(metrics, a_fresh_server_lists_every_family_and_every_refusal_reason_at_zero) {
    const std::string text = Metrics().render();
    for (const char* family : {"kim_http_requests_total", "kim_push_batches_total", "kim_changes_stored_total",
                               "kim_push_refusals_total", "kim_http_request_duration_seconds",
                               "kim_open_connections"}) {
        EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
        EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
    }
    EXPECT_TRUE(has_line(text, "# TYPE kim_http_request_duration_seconds histogram"));
    EXPECT_TRUE(has_line(text, "# TYPE kim_open_connections gauge"));
    for (const auto reason : protocol::all_refusals()) {
        EXPECT_TRUE(has_line(text, "kim_push_refusals_total{reason=\"" + std::string(protocol::to_string(reason)) +
                                       "\"} 0"))
            << protocol::to_string(reason);
    }
    EXPECT_TRUE(has_line(text, "kim_push_batches_total{result=\"stored\"} 0"));
    EXPECT_TRUE(has_line(text, "kim_push_batches_total{result=\"refused\"} 0"));
    EXPECT_TRUE(has_line(text, "kim_changes_stored_total 0"));
    EXPECT_TRUE(has_line(text, "kim_open_connections 0"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_count 0"));
    EXPECT_EQ(text.back(), '\n');
}

TEST(metrics, requests_are_counted_by_route_and_status) {
    Metrics m;
    m.count_request("/v1/push", 200, 0.003);
    m.count_request("/v1/push", 200, 0.004);
    m.count_request("/v1/push", 422, 0.02);
    m.count_request("other", 404, 0.0001);
    const std::string text = m.render();
    EXPECT_TRUE(has_line(text, "kim_http_requests_total{path=\"/v1/push\",status=\"200\"} 2"));
    EXPECT_TRUE(has_line(text, "kim_http_requests_total{path=\"/v1/push\",status=\"422\"} 1"));
    EXPECT_TRUE(has_line(text, "kim_http_requests_total{path=\"other\",status=\"404\"} 1"));
}

TEST(metrics, the_histogram_is_cumulative_with_sum_and_count) {
    Metrics m;
    m.count_request("/healthz", 200, 0.0005);  // <= 0.001
    m.count_request("/healthz", 200, 0.003);   // <= 0.005
    m.count_request("/healthz", 200, 0.3);     // <= 0.5
    m.count_request("/healthz", 200, 60.0);    // only +Inf
    const std::string text = m.render();
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_bucket{le=\"0.001\"} 1"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_bucket{le=\"0.005\"} 2"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_bucket{le=\"0.25\"} 2"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_bucket{le=\"0.5\"} 3"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_bucket{le=\"10\"} 3"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_bucket{le=\"+Inf\"} 4"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_count 4"));
    EXPECT_NE(text.find("kim_http_request_duration_seconds_sum 60.3035"), std::string::npos) << text;
}

TEST(metrics, pushes_changes_refusals_and_connections) {
    Metrics m;
    m.count_push(true, 5, {});
    m.count_push(true, 0, {});  // a replayed batch: all duplicates
    m.count_push(false, 0, {protocol::Refusal::gap, protocol::Refusal::bad_signature, protocol::Refusal::gap});
    m.connection_opened();
    m.connection_opened();
    m.connection_closed();
    const std::string text = m.render();
    EXPECT_TRUE(has_line(text, "kim_push_batches_total{result=\"stored\"} 2"));
    EXPECT_TRUE(has_line(text, "kim_push_batches_total{result=\"refused\"} 1"));
    EXPECT_TRUE(has_line(text, "kim_changes_stored_total 5"));
    EXPECT_TRUE(has_line(text, "kim_push_refusals_total{reason=\"gap\"} 2"));
    EXPECT_TRUE(has_line(text, "kim_push_refusals_total{reason=\"bad_signature\"} 1"));
    EXPECT_TRUE(has_line(text, "kim_push_refusals_total{reason=\"clock_skew\"} 0"));
    EXPECT_TRUE(has_line(text, "kim_open_connections 1"));
}

TEST(metrics, counting_from_many_threads_loses_nothing) {
    Metrics m;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&m] {
            for (int i = 0; i < 1000; ++i) {
                m.count_request("/v1/pull", 200, 0.001);
                m.count_push(true, 1, {});
                m.connection_opened();
                m.connection_closed();
                if (i % 100 == 0) (void)m.render();
            }
        });
    }
    for (auto& t : threads) t.join();
    const std::string text = m.render();
    EXPECT_TRUE(has_line(text, "kim_http_requests_total{path=\"/v1/pull\",status=\"200\"} 8000"));
    EXPECT_TRUE(has_line(text, "kim_changes_stored_total 8000"));
    EXPECT_TRUE(has_line(text, "kim_http_request_duration_seconds_count 8000"));
    EXPECT_TRUE(has_line(text, "kim_open_connections 0"));
}

TEST(metrics, every_sample_line_is_name_labels_space_number) {
    Metrics m;
    m.count_request("/v1/push", 200, 0.01);
    std::istringstream in(m.render());
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("#")) continue;
        const auto space = line.rfind(' ');
        ASSERT_NE(space, std::string::npos) << line;
        const std::string value = line.substr(space + 1);
        EXPECT_NO_THROW((void)std::stod(value)) << line;
        EXPECT_TRUE(line.starts_with("kim_")) << line;
    }
}
