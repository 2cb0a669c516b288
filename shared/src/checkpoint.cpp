// Signed checkpoints of the server's log (kim/shared/checkpoint.hpp).
#include "kim/shared/checkpoint.hpp"

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "message_reader.hpp"

namespace kim {

std::string checkpoint_message(std::uint64_t server_seq, const Hash32& chain, std::int64_t time) {
    std::string m = "kimsync-checkpoint-v1\n";
    m += std::to_string(server_seq);
    m += '\n';
    m += base64_encode(chain);
    m += '\n';
    m += std::to_string(time);
    return m;
}

Checkpoint sign_checkpoint(std::uint64_t server_seq, const Hash32& chain, std::int64_t time,
                           const crypto::SigningSecret& key) {
    Checkpoint c{server_seq, chain, time, {}};
    const std::string m = checkpoint_message(server_seq, chain, time);
    c.sig = crypto::sign(key, as_bytes(m));
    return c;
}

bool verify_checkpoint(const Checkpoint& c, const crypto::PublicKey& server_key) {
    const std::string m = checkpoint_message(c.server_seq, c.chain, c.time);
    return crypto::verify(server_key, as_bytes(m), c.sig);
}

nlohmann::json to_json(const Checkpoint& c) {
    return {{"server_seq", c.server_seq}, {"chain", base64_encode(c.chain)}, {"time", c.time},
            {"sig", base64_encode(c.sig)}};
}

Checkpoint checkpoint_from_json(const nlohmann::json& j) {
    const protocol::Reader r(j, "the checkpoint", {"server_seq", "chain", "time", "sig"});
    Checkpoint c;
    c.server_seq = r.unsigned_integer("server_seq");
    const auto chain = base64_decode_fixed<32>(r.string("chain"));
    if (!chain) throw InputError("the checkpoint: 'chain' must be base64 of 32 bytes");
    c.chain = *chain;
    c.time = r.integer("time");
    const auto sig = base64_decode_fixed<crypto::signature_size>(r.string("sig"));
    if (!sig) throw InputError("the checkpoint: 'sig' must be base64 of 64 bytes");
    c.sig = *sig;
    return c;
}

}  // namespace kim
