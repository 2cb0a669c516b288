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

// Sync with the server (docs/decisions.md, entries "Sync: …"). The cursor, the
// acknowledged seq and the last sync time belong to `sync_state_server`: they
// start again from zero when the replica syncs with another server.
inline constexpr std::string_view sync_server = "sync.server";              // configured URL, normalised
inline constexpr std::string_view sync_ca_file = "sync.ca_file";            // extra CA certificate file
inline constexpr std::string_view sync_state_server = "sync.state_server";  // the server the next three refer to
inline constexpr std::string_view sync_pull_cursor = "sync.pull_cursor";    // server seq of the last page applied
inline constexpr std::string_view sync_pushed_seq = "sync.pushed_seq";      // own changes up to it are acknowledged
inline constexpr std::string_view sync_last_success = "sync.last_success";  // seconds since 1970, 0 = never

// Years after closure at which `kim retention run` erases a closed case; unset
// means Replica::default_retention_years. Per replica, to be set alike on
// every replica of the site (docs/privacy.md).
inline constexpr std::string_view retention_years = "retention.years";

inline constexpr std::string_view format_value = "kimsync-replica";

std::optional<std::string> get(sqlite::Database& db, std::string_view key);
std::string require(sqlite::Database& db, std::string_view key);
void put(sqlite::Database& db, std::string_view key, std::string_view value);

}  // namespace kim::client::meta
