// The server's signed checkpoint of its log (DESIGN.md "The server's log and
// the audit"): "the log held `server_seq` changes, and chain[server_seq] was
// `chain`, at `time`", signed with the server's Ed25519 key. An auditor keeps
// the checkpoints it has seen; a later log that does not extend one of them
// is proof of rewritten history.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"

namespace kim {

struct Checkpoint {
    std::uint64_t server_seq = 0;  // changes in the log (0: the empty log)
    Hash32 chain{};                // chain[server_seq]; 32 zero bytes for the empty log
    std::int64_t time = 0;         // seconds since 1970, the server's clock
    crypto::Signature sig{};
};

// What the server signs: the domain-separated UTF-8 text
//   "kimsync-checkpoint-v1\n<server_seq>\n<base64 chain>\n<time>"
// (decimal integers), which can never be mistaken for a change's canonical
// bytes (those start with '{') or a sign-in (docs/wire-format.md).
std::string checkpoint_message(std::uint64_t server_seq, const Hash32& chain, std::int64_t time);

Checkpoint sign_checkpoint(std::uint64_t server_seq, const Hash32& chain, std::int64_t time,
                           const crypto::SigningSecret& key);
bool verify_checkpoint(const Checkpoint& checkpoint, const crypto::PublicKey& server_key);

// {"server_seq": n, "chain": base64, "time": s, "sig": base64}
nlohmann::json to_json(const Checkpoint& checkpoint);
// Strict; InputError naming the key that is wrong.
Checkpoint checkpoint_from_json(const nlohmann::json& j);

}  // namespace kim
