// Reads one protocol message strictly: an object with known keys only, each
// of the expected type; InputError naming the message and the key otherwise.
// Internal to kim_shared (protocol.cpp, audit_protocol.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kim/shared/errors.hpp"

namespace kim::protocol {

using nlohmann::json;

// Reads one message strictly: an object with known keys only.
class Reader {
public:
    Reader(const json& j, std::string_view message, std::initializer_list<std::string_view> known) : j_(j), what_(message) {
        if (!j.is_object()) throw InputError(what_ + " must be a JSON object");
        for (const auto& [key, value] : j.items()) {
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                throw InputError(what_ + " has an unknown key '" + key.substr(0, 64) + "'");
            }
        }
    }

    bool has(const char* key) const { return j_.contains(key); }

    const json& required(const char* key) const {
        auto it = j_.find(key);
        if (it == j_.end()) throw InputError(what_ + " lacks '" + key + "'");
        return *it;
    }

    std::string string(const char* key) const {
        const json& v = required(key);
        if (!v.is_string()) throw InputError(what_ + ": '" + key + "' must be a string");
        return v.get<std::string>();
    }

    std::uint64_t unsigned_integer(const char* key) const {
        const json& v = required(key);
        if (!v.is_number_unsigned()) throw InputError(what_ + ": '" + key + "' must be a non-negative integer");
        return v.get<std::uint64_t>();
    }

    std::int64_t integer(const char* key) const {
        const json& v = required(key);
        if (!v.is_number_integer()) throw InputError(what_ + ": '" + key + "' must be an integer");
        return v.get<std::int64_t>();
    }

    bool boolean(const char* key) const {
        const json& v = required(key);
        if (!v.is_boolean()) throw InputError(what_ + ": '" + key + "' must be true or false");
        return v.get<bool>();
    }

    const json& array(const char* key) const {
        const json& v = required(key);
        if (!v.is_array()) throw InputError(what_ + ": '" + key + "' must be an array");
        return v;
    }

    const std::string& what() const { return what_; }

private:
    const json& j_;
    std::string what_;
};


}  // namespace kim::protocol
