// envelope_text and canonical_bytes write the bytes nlohmann's dump writes
// for the same change, for random changes with every kind of string in them.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "kim/shared/change.hpp"

namespace {

using kim::Change;
using kim::FieldOp;
using nlohmann::json;

// Plain ASCII most of the time; now and then what needs escaping or is not ASCII.
std::string random_text(std::mt19937& rng, std::size_t max_len) {
    static const std::string pieces[] = {"a", "Z", "0", "-", ":", " ", "\"", "\\", "/", "\n", "\t", std::string(1, '\x01'),
                                         std::string(1, '\x1f'), std::string(1, '\x7f'), "ß", "Ş", "€", "🙂", "é"};
    std::uniform_int_distribution<std::size_t> len(0, max_len);
    std::uniform_int_distribution<int> plain(0, 3);
    std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
    std::uniform_int_distribution<int> letter('a', 'z');
    std::string s;
    for (std::size_t i = len(rng); i > 0; --i) {
        if (plain(rng) != 0) s += static_cast<char>(letter(rng));
        else s += pieces[pick(rng)];
    }
    return s;
}

kim::Bytes random_bytes(std::mt19937& rng, std::size_t max_len) {
    std::uniform_int_distribution<std::size_t> len(0, max_len);
    std::uniform_int_distribution<int> byte(0, 255);
    kim::Bytes b(len(rng));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    return b;
}

template <std::size_t N>
std::array<std::uint8_t, N> random_array(std::mt19937& rng) {
    std::uniform_int_distribution<int> byte(0, 255);
    std::array<std::uint8_t, N> a{};
    for (auto& x : a) x = static_cast<std::uint8_t>(byte(rng));
    return a;
}

Change random_change(std::mt19937& rng) {
    std::uniform_int_distribution<int> coin(0, 1);
    std::uniform_int_distribution<int> few(0, 3);
    std::uniform_int_distribution<std::uint64_t> any64;
    Change c;
    c.v = coin(rng) ? 1 : std::uniform_int_distribution<int>(-5, 1000)(rng);
    c.origin = random_text(rng, 12);
    c.seq = coin(rng) ? any64(rng) : std::uniform_int_distribution<std::uint64_t>(0, 1000)(rng);
    c.site = random_text(rng, 10);
    c.record = random_text(rng, 36);
    c.kind = random_text(rng, 8);
    c.hlc = coin(rng) ? std::numeric_limits<std::uint64_t>::max() : any64(rng);
    c.prev = random_array<32>(rng);
    c.sig = random_array<64>(rng);
    for (int i = std::uniform_int_distribution<int>(0, 14)(rng); i > 0; --i) {
        FieldOp op;
        op.field = random_text(rng, 16);
        for (int p = few(rng); p > 0; --p) op.parents.push_back(random_text(rng, 14));
        switch (few(rng)) {
            case 0: op.value = random_text(rng, 20); break;
            case 1: op.value = coin(rng) == 1; break;
            case 2: op.value = json{{"n", few(rng)}, {"s", random_text(rng, 4)}}; break;
            default:
                op.ct_hash = random_array<32>(rng);
                if (coin(rng)) op.ct = random_bytes(rng, 300);
        }
        c.ops.push_back(std::move(op));
    }
    return c;
}

}  // namespace

TEST(change_text, writes_the_bytes_of_nlohmanns_dump_for_random_changes) {
    std::mt19937 rng(20261128);
    for (int i = 0; i < 3000; ++i) {
        const Change c = random_change(rng);
        for (const bool with_ct : {true, false}) {
            ASSERT_EQ(kim::envelope_text(c, with_ct), kim::change_to_json(c, with_ct).dump()) << "change " << i;
        }
        json canonical = kim::change_to_json(c, /*with_ct=*/false);
        canonical.erase("sig");
        ASSERT_EQ(kim::canonical_bytes(c), canonical.dump()) << "change " << i;
    }
}

TEST(change_text, refuses_invalid_utf8_as_nlohmann_does) {
    Change c;
    c.origin = "hamborn-a";
    c.kind = std::string("case\xff", 5);
    EXPECT_THROW(static_cast<void>(kim::change_to_json(c).dump()), json::type_error);
    EXPECT_THROW(static_cast<void>(kim::envelope_text(c)), json::type_error);
    EXPECT_THROW(static_cast<void>(kim::canonical_bytes(c)), json::type_error);
}
