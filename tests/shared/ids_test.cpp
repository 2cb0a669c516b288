// Record UUIDs, replica/site names and change ids "origin:seq".
#include "kim/shared/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kim/shared/crypto.hpp"
#include "sodium_ready.hpp"

namespace {

using kim::is_uuid;
using kim::is_valid_name;
using kim::parse_change_id;

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

TEST(ids, random_uuid_is_lowercase_hyphenated_v4) {
    ASSERT_TRUE(kim::test::sodium_ready);
    for (int i = 0; i < 100; ++i) {
        const std::string id = kim::random_uuid();
        ASSERT_EQ(id.size(), 36u);
        EXPECT_EQ(id[8], '-');
        EXPECT_EQ(id[13], '-');
        EXPECT_EQ(id[18], '-');
        EXPECT_EQ(id[23], '-');
        for (std::size_t k = 0; k < id.size(); ++k) {
            if (k == 8 || k == 13 || k == 18 || k == 23) continue;
            const char c = id[k];
            EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
        }
        EXPECT_EQ(id[14], '4') << "version nibble: " << id;
        EXPECT_EQ(hex_value(id[19]) & 0xc, 0x8) << "variant bits 10xx: " << id;
        EXPECT_TRUE(is_uuid(id)) << id;
    }
}

TEST(ids, random_uuids_are_unique) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) seen.insert(kim::random_uuid());
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(ids, random_uuid_variant_nibble_takes_all_four_values) {
    // 8, 9, a, b: the random bits around the fixed ones are really random.
    std::set<char> variants;
    for (int i = 0; i < 400; ++i) variants.insert(kim::random_uuid()[19]);
    EXPECT_EQ(variants, (std::set<char>{'8', '9', 'a', 'b'}));
}

TEST(ids, is_uuid_accepts_lowercase_hyphenated) {
    EXPECT_TRUE(is_uuid("0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f"));
    EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
}

TEST(ids, is_uuid_rejects_uppercase_and_malformed) {
    EXPECT_FALSE(is_uuid("0B6F3C1E-9A2D-4F5E-8C7B-1A2B3C4D5E6F"));
    EXPECT_FALSE(is_uuid("0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6F"));
    EXPECT_FALSE(is_uuid("0b6f3c1e9a2d4f5e8c7b1a2b3c4d5e6f"));
    EXPECT_FALSE(is_uuid("{0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f}"));
    EXPECT_FALSE(is_uuid("0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6"));
    EXPECT_FALSE(is_uuid("0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f0"));
    EXPECT_FALSE(is_uuid("0b6f3c1e-9a2d-4f5e-8c7b_1a2b3c4d5e6f"));
    EXPECT_FALSE(is_uuid("0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6g"));
    EXPECT_FALSE(is_uuid("0b6f3c1e9-a2d-4f5e-8c7b-1a2b3c4d5e6f"));
    EXPECT_FALSE(is_uuid(""));
}

TEST(ids, valid_names) {
    EXPECT_TRUE(is_valid_name("hamborn"));
    EXPECT_TRUE(is_valid_name("hamborn-a"));
    EXPECT_TRUE(is_valid_name("a"));
    EXPECT_TRUE(is_valid_name("7"));
    EXPECT_TRUE(is_valid_name("rsc-2-hochfeld"));
    EXPECT_TRUE(is_valid_name(std::string(63, 'x')));
}

TEST(ids, invalid_names) {
    EXPECT_FALSE(is_valid_name(""));
    EXPECT_FALSE(is_valid_name(std::string(64, 'x')));
    EXPECT_FALSE(is_valid_name("-hamborn"));
    EXPECT_FALSE(is_valid_name("Hamborn"));
    EXPECT_FALSE(is_valid_name("hamborn:a"));
    EXPECT_FALSE(is_valid_name("hamborn a"));
    EXPECT_FALSE(is_valid_name("hamborn_a"));
    EXPECT_FALSE(is_valid_name("hamborn.a"));
    EXPECT_FALSE(is_valid_name("hamborn/a"));
    EXPECT_FALSE(is_valid_name("h\xc3\xa4mborn"));  // ä
    EXPECT_FALSE(is_valid_name(std::string("ham\0born", 8)));
}

TEST(ids, change_id_formats_origin_colon_seq) {
    EXPECT_EQ(kim::change_id("hamborn-a", 42), "hamborn-a:42");
    EXPECT_EQ(kim::change_id("x", 1), "x:1");
    EXPECT_EQ((kim::ChangeId{"hamborn-b", 7}).str(), "hamborn-b:7");
    EXPECT_EQ(kim::change_id("a", UINT64_MAX), "a:18446744073709551615");
}

TEST(ids, parse_change_id_accepts_valid_ids) {
    const auto id = parse_change_id("hamborn-a:42");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->origin, "hamborn-a");
    EXPECT_EQ(id->seq, 42u);
    EXPECT_EQ(id->str(), "hamborn-a:42");

    const auto one = parse_change_id("a:1");
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(one->seq, 1u);

    const auto big = parse_change_id("a:9999999999999999999");  // 19 digits
    ASSERT_TRUE(big.has_value());
    EXPECT_EQ(big->seq, 9'999'999'999'999'999'999ull);
}

TEST(ids, parse_change_id_rejects_malformed_ids) {
    for (const char* bad : {"a:0", "a:01", "a:", ":1", "A:1", "a:-1", "a:+1", "a:1a", "a:1 ", " a:1", "a1",
                            "a:1:2", "a::1", "-a:1", "a:0x10", "", ":"}) {
        EXPECT_FALSE(parse_change_id(bad).has_value()) << "'" << bad << "'";
    }
}

TEST(ids, parse_change_id_rejects_overflow) {
    EXPECT_FALSE(parse_change_id("a:18446744073709551616").has_value());   // UINT64_MAX + 1
    EXPECT_FALSE(parse_change_id("a:99999999999999999999").has_value());   // 20 digits
    EXPECT_FALSE(parse_change_id("a:100000000000000000000000").has_value());
}

TEST(ids, change_ids_order_by_origin_then_seq) {
    const kim::ChangeId a{"hamborn-a", 9};
    const kim::ChangeId b{"hamborn-a", 10};
    const kim::ChangeId c{"hamborn-b", 1};
    EXPECT_LT(a, b);  // numeric, not textual
    EXPECT_LT(b, c);
    EXPECT_EQ(a, (kim::ChangeId{"hamborn-a", 9}));
}

}  // namespace
