// Reading and writing introductions for the server.
#include "introduction_json.hpp"

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

using nlohmann::json;

json introduction_to_json(const Peer& peer) {
    return {{"replica", peer.replica}, {"public_key", base64_encode(peer.public_key)}, {"mac", base64_encode(peer.intro_mac)}};
}

Peer introduction_from_json(const json& j) {
    const auto bad = [] { return InputError("an introduction from the server is malformed: it needs 'replica', 'public_key' and 'mac'"); };
    if (!j.is_object() || j.size() != 3) throw bad();
    for (const char* key : {"replica", "public_key", "mac"}) {
        if (!j.contains(key) || !j[key].is_string()) throw bad();
    }
    Peer p;
    p.replica = j["replica"].get<std::string>();
    const auto key = base64_decode_fixed<32>(j["public_key"].get<std::string>());
    const auto mac = base64_decode_fixed<32>(j["mac"].get<std::string>());
    if (!is_valid_name(p.replica) || !key || !mac) throw bad();
    p.public_key = *key;
    p.intro_mac = *mac;
    return p;
}

}  // namespace kim::client
