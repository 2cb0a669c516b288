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

struct ChangeFile {
    std::string site;
    std::string exported_by;
    std::vector<Peer> introductions;
    // The envelopes: on export owned here; on import a view into the parsed
    // document (no copy of a file that may be large), parsed one by one.
    nlohmann::json changes = nlohmann::json::array();
    const nlohmann::json* changes_in_document = nullptr;

    const nlohmann::json& envelopes() const { return changes_in_document ? *changes_in_document : changes; }
};

nlohmann::json change_file_to_json(ChangeFile&& file);
// Checks the outer structure; throws InputError naming what is wrong. The
// result refers into `j`, which must outlive it.
ChangeFile change_file_from_json(const nlohmann::json& j);

}  // namespace kim::client
