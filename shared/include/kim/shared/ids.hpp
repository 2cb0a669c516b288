// Identifiers: record UUIDs, replica and site names, change ids "origin:seq".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kim {

// A random (version 4) UUID, lowercase and hyphenated. v4, not v7: a v7
// would tell the server when a case was opened.
std::string random_uuid();
bool is_uuid(std::string_view text);

// Replica and site names: 1-63 characters of a-z, 0-9 and '-', starting
// with a letter or digit. No ':' so that "origin:seq" parses unambiguously.
bool is_valid_name(std::string_view text);

struct ChangeId {
    std::string origin;
    std::uint64_t seq = 0;

    std::string str() const;
    friend bool operator==(const ChangeId&, const ChangeId&) = default;
    friend auto operator<=>(const ChangeId&, const ChangeId&) = default;
};

std::string change_id(std::string_view origin, std::uint64_t seq);
std::optional<ChangeId> parse_change_id(std::string_view text);

}  // namespace kim
