// Base64: RFC 4648 §10 test vectors and the strict decoder's refusals.
#include "kim/shared/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using kim::as_bytes;
using kim::base64_decode;
using kim::base64_encode;

const std::vector<std::pair<std::string, std::string>>& rfc4648_vectors() {
    static const std::vector<std::pair<std::string, std::string>> v = {
        {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    return v;
}

TEST(base64, encodes_rfc4648_vectors) {
    for (const auto& [plain, encoded] : rfc4648_vectors()) {
        EXPECT_EQ(base64_encode(as_bytes(plain)), encoded) << "plain: '" << plain << "'";
    }
}

TEST(base64, decodes_rfc4648_vectors) {
    for (const auto& [plain, encoded] : rfc4648_vectors()) {
        const auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << "encoded: '" << encoded << "'";
        EXPECT_EQ(kim::to_string(*decoded), plain);
    }
}

TEST(base64, uses_the_standard_alphabet_not_url_safe) {
    const kim::Bytes bytes = {0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64_encode(bytes), "+/+/");
    const auto back = base64_decode("+/+/");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes);
    EXPECT_FALSE(base64_decode("-_-_").has_value());
}

TEST(base64, round_trips_every_byte_value_and_length) {
    kim::Bytes bytes;
    for (int i = 0; i < 256; ++i) {
        const std::string text = base64_encode(bytes);
        const auto back = base64_decode(text);
        ASSERT_TRUE(back.has_value()) << "length " << bytes.size();
        ASSERT_EQ(*back, bytes);
        bytes.push_back(static_cast<std::uint8_t>(255 - i));
    }
}

TEST(base64, refuses_missing_padding) {
    EXPECT_FALSE(base64_decode("Zg").has_value());
    EXPECT_FALSE(base64_decode("Zg=").has_value());
    EXPECT_FALSE(base64_decode("Zm8").has_value());
    EXPECT_FALSE(base64_decode("Zm9vYg").has_value());
}

TEST(base64, refuses_white_space) {
    EXPECT_FALSE(base64_decode(" Zm9v").has_value());
    EXPECT_FALSE(base64_decode("Zm9v ").has_value());
    EXPECT_FALSE(base64_decode("Zm9v\nYmFy").has_value());
    EXPECT_FALSE(base64_decode("Zm 9").has_value());
    EXPECT_FALSE(base64_decode("Zm9v\r\n").has_value());
}

TEST(base64, refuses_non_canonical_trailing_bits) {
    // "Zg==" is the only encoding of "f"; "Zh==" carries stray low bits.
    ASSERT_TRUE(base64_decode("Zg==").has_value());
    EXPECT_FALSE(base64_decode("Zh==").has_value());
    EXPECT_FALSE(base64_decode("Zv==").has_value());
    // Same for two bytes: "Zm8=" is canonical, "Zm9=" is not.
    ASSERT_TRUE(base64_decode("Zm8=").has_value());
    EXPECT_FALSE(base64_decode("Zm9=").has_value());
    // And at the end of a longer text: every stray bit pattern of its last group.
    const std::string head = "Zm9vYmFyZm9vYmFy";
    ASSERT_TRUE(base64_decode(head + "Zg==").has_value());
    ASSERT_TRUE(base64_decode(head + "Zm8=").has_value());
    for (const char* tail : {"Zh==", "Zi==", "Zp==", "Zv==", "Zm9=", "Zm+=", "Zm/="}) {
        EXPECT_FALSE(base64_decode(head + tail).has_value()) << tail;
    }
}

TEST(base64, refuses_garbage_and_misplaced_padding) {
    EXPECT_FALSE(base64_decode("Zm9v!!!!").has_value());
    EXPECT_FALSE(base64_decode("====").has_value());
    EXPECT_FALSE(base64_decode("Z===").has_value());
    EXPECT_FALSE(base64_decode("Zg==Zg==").has_value());
    EXPECT_FALSE(base64_decode("Zm=v").has_value());
    EXPECT_FALSE(base64_decode(std::string("Zm9v\0\0\0\0", 8)).has_value());
}

TEST(base64, decode_fixed_checks_the_length) {
    const kim::Bytes thirty_two(32, 0xab);
    const std::string text = base64_encode(thirty_two);
    const auto ok = kim::base64_decode_fixed<32>(text);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ((*ok)[0], 0xab);
    EXPECT_EQ((*ok)[31], 0xab);
    EXPECT_FALSE(kim::base64_decode_fixed<31>(text).has_value());
    EXPECT_FALSE(kim::base64_decode_fixed<33>(text).has_value());
    EXPECT_FALSE(kim::base64_decode_fixed<32>("not base64").has_value());
}

}  // namespace
