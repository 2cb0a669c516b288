// The JSON of an introduction {replica, public_key, mac} (wire-format.md),
// as pushed to the server and relayed back in pulls.
#pragma once

#include <nlohmann/json.hpp>

#include "../log/change_log.hpp"

namespace kim::client {

nlohmann::json introduction_to_json(const Peer& peer);
// Structure only (InputError when malformed); the MAC is checked by the Importer.
Peer introduction_from_json(const nlohmann::json& j);

}  // namespace kim::client
