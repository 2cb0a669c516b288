// Byte containers: plain bytes, fixed-size hashes and secrets wiped on destruction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kim {

using Bytes = std::vector<std::uint8_t>;
using Hash32 = std::array<std::uint8_t, 32>;

// A fixed-size secret (a key). Its memory is wiped when it goes away so that
// keys do not linger in freed heap or stack memory.
template <std::size_t N>
class Secret {
public:
    Secret() { data_.fill(0); }
    Secret(const Secret& other) : data_(other.data_) {}
    Secret& operator=(const Secret& other) {
        data_ = other.data_;
        return *this;
    }
    ~Secret() { wipe(data_.data(), N); }

    std::uint8_t* data() { return data_.data(); }
    const std::uint8_t* data() const { return data_.data(); }
    static constexpr std::size_t size() { return N; }
    std::span<const std::uint8_t> span() const { return {data_.data(), N}; }

private:
    static void wipe(void* p, std::size_t n);
    std::array<std::uint8_t, N> data_;
};

using Key32 = Secret<32>;

void secure_wipe(void* p, std::size_t n);

template <std::size_t N>
void Secret<N>::wipe(void* p, std::size_t n) {
    secure_wipe(p, n);
}

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string to_string(std::span<const std::uint8_t> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace kim
