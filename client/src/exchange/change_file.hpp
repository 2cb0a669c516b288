// The change file of `kim export-changes` / `kim import-changes`: the signed
// changes of one site plus the introductions of the replicas that made them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../log/change_log.hpp"

namespace kim::client {

inline constexpr const char* change_file_format = "kimsync-changes";
inline constexpr int change_file_version = 1;
// A file bigger than this is refused before parsing (about 2 GB of memory).
inline constexpr std::size_t max_change_file_bytes = std::size_t{1} << 30;

struct ChangeFile {
    std::string site;
    std::string exported_by;
    std::vector<Peer> introductions;
    std::vector<nlohmann::json> changes;  // envelopes, parsed and verified one by one on import
};

nlohmann::json change_file_to_json(const ChangeFile& file);
// Checks the outer structure; throws InputError naming what is wrong.
ChangeFile change_file_from_json(const nlohmann::json& j);

}  // namespace kim::client
