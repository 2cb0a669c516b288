// Strict query parsing for GET /v1/pull: what a lenient parser would
// misread is refused with 400 instead.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "error_message.hpp"
#include "http/query.hpp"
#include "kim/shared/errors.hpp"

using kim::server::http::parse_query;
using kim::server::http::query_number;

namespace {

std::uint64_t limit_of(const std::string& query) {
    return query_number(parse_query(query, {"since", "limit"}), "limit", 500, 1, 2000);
}

}  // namespace

TEST(query, parameters_and_defaults) {
    const auto p = parse_query("since=42&limit=10", {"since", "limit"});
    EXPECT_EQ(query_number(p, "since", 0, 0, INT64_MAX), 42u);
    EXPECT_EQ(query_number(p, "limit", 500, 1, 2000), 10u);
    const auto none = parse_query("", {"since", "limit"});
    EXPECT_EQ(query_number(none, "since", 0, 0, INT64_MAX), 0u);
    EXPECT_EQ(query_number(none, "limit", 500, 1, 2000), 500u);
}

TEST(query, bounds_are_inclusive) {
    EXPECT_EQ(limit_of("limit=1"), 1u);
    EXPECT_EQ(limit_of("limit=2000"), 2000u);
    EXPECT_EQ(query_number(parse_query("since=9223372036854775807", {"since"}), "since", 0, 0, INT64_MAX),
              9223372036854775807u);
}

TEST(query, numbers_out_of_range_or_not_plain_digits_are_refused) {
    for (const char* bad : {"limit=0", "limit=2001", "limit=-1", "limit=+5", "limit= 5", "limit=5 ", "limit=",
                            "limit=abc", "limit=1e3", "limit=0x10", "limit=1.5", "limit=%35",
                            "limit=99999999999999999999999"}) {
        const std::string message = kim::test::error_message_of<kim::InputError>([&] { limit_of(bad); });
        EXPECT_NE(message.find("'limit' must be a whole number from 1 to 2000"), std::string::npos)
            << bad << ": " << message;
    }
    EXPECT_THROW(query_number(parse_query("since=9223372036854775808", {"since"}), "since", 0, 0, INT64_MAX),
                 kim::InputError);
    EXPECT_THROW(query_number(parse_query("since=-1", {"since"}), "since", 0, 0, INT64_MAX), kim::InputError);
}

TEST(query, unknown_repeated_or_valueless_parameters_are_refused) {
    EXPECT_NE(kim::test::error_message_of<kim::InputError>([] { parse_query("cursor=3", {"since", "limit"}); })
                  .find("unknown query parameter 'cursor'; this endpoint takes since, limit"),
              std::string::npos);
    EXPECT_NE(kim::test::error_message_of<kim::InputError>([] { parse_query("since=1&since=2", {"since"}); })
                  .find("given twice"),
              std::string::npos);
    EXPECT_NE(kim::test::error_message_of<kim::InputError>([] { parse_query("since", {"since"}); })
                  .find("needs a value"),
              std::string::npos);
    EXPECT_THROW(parse_query("=3", {"since"}), kim::InputError);
}

TEST(query, empty_pieces_are_harmless) {
    EXPECT_EQ(limit_of("&limit=7&"), 7u);
    EXPECT_EQ(limit_of("since=1&&limit=8"), 8u);
}

TEST(query, a_hostile_parameter_name_is_not_echoed_raw) {
    const std::string message = kim::test::error_message_of<kim::InputError>(
        [] { parse_query(std::string("x\r\nSet-Cookie: a") + std::string(500, 'y') + "=1", {"since"}); });
    EXPECT_EQ(message.find('\r'), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_LT(message.size(), 300u) << message;
}
