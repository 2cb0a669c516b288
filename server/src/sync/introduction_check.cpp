// Checks of a pushed introduction.
#include "introduction_check.hpp"

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

std::string checked_introduction(const nlohmann::json& j, const Caller& caller, const crypto::PublicKey& enrolled_key) {
    const auto bad = [](const std::string& what) {
        return InputError("the push request's introduction " + what +
                          "; send the one `kim` made for this replica, or none");
    };
    if (!j.is_object()) throw bad("must be an object");
    for (const auto& [key, _] : j.items()) {
        if (key != "replica" && key != "public_key" && key != "mac") throw bad("has an unknown key");
    }
    const auto text = [&](const char* key) -> std::string {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_string()) throw bad(std::string("lacks '") + key + "' (a string)");
        return it->get<std::string>();
    };
    const std::string replica = text("replica");
    const auto public_key = base64_decode_fixed<crypto::public_key_size>(text("public_key"));
    const auto mac = base64_decode_fixed<32>(text("mac"));
    if (replica != caller.identity) throw bad("names another replica than the one signed in ('" + caller.identity + "')");
    if (!public_key) throw bad("has a 'public_key' that is not base64 of 32 bytes");
    if (*public_key != enrolled_key) throw bad("names another public key than the one enrolled for '" + caller.identity + "'");
    if (!mac) throw bad("has a 'mac' that is not base64 of 32 bytes");
    return nlohmann::json{{"replica", replica}, {"public_key", base64_encode(*public_key)}, {"mac", base64_encode(*mac)}}.dump();
}

}  // namespace kim::server
