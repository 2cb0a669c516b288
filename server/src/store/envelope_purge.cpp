// Removing the ciphertexts of a stored envelope (envelope_purge.hpp).
#include "envelope_purge.hpp"

#include <nlohmann/json.hpp>

#include "kim/shared/errors.hpp"

namespace kim::server {

namespace {

[[noreturn]] void damaged() {
    throw IntegrityError("a stored change is not a valid envelope; the server store is damaged: restore it from a backup");
}

}  // namespace

StrippedEnvelope without_ciphertexts(std::string_view envelope) {
    StrippedEnvelope out;
    // Cheap test first: most envelopes read for the audit or met by a purge
    // carry no ciphertext any more, or never did.
    if (envelope.find("\"ct\":") == std::string_view::npos) {
        out.envelope = std::string(envelope);
        return out;
    }
    // The store's own text, which it parsed strictly before storing: no
    // depth limit is needed here, but a parse failure means damage.
    nlohmann::json j = nlohmann::json::parse(envelope, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) damaged();
    const auto ops = j.find("ops");
    if (ops == j.end() || !ops->is_array()) damaged();
    for (auto& op : *ops) {
        if (!op.is_object()) damaged();
        out.removed += op.erase("ct");
    }
    out.envelope = out.removed ? j.dump() : std::string(envelope);
    return out;
}

}  // namespace kim::server
