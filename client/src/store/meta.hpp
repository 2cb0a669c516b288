// The replica's key/value metadata table (identity, sealed keys, clock).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kim/sqlite/database.hpp"

namespace kim::client::meta {

inline constexpr std::string_view format = "format";
inline constexpr std::string_view site = "site";
inline constexpr std::string_view replica = "replica";
inline constexpr std::string_view public_key = "public_key";
inline constexpr std::string_view sealed_keys = "sealed_keys";
inline constexpr std::string_view last_hlc = "last_hlc";
inline constexpr std::string_view next_arrival = "next_arrival";

inline constexpr std::string_view format_value = "kimsync-replica";

std::optional<std::string> get(sqlite::Database& db, std::string_view key);
std::string require(sqlite::Database& db, std::string_view key);
void put(sqlite::Database& db, std::string_view key, std::string_view value);

}  // namespace kim::client::meta
