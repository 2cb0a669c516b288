// A replica as the server sees it, built from the shared primitives alone:
// an Ed25519 key, a hash chain of hand-made signed changes, and the raw
// HTTP of protocol v1. It can also do what a real client never would
// (forge, skip, replay), which is what the refusal tests need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/change.hpp"
#include "kim/shared/crypto.hpp"
#include "raw_http.hpp"

namespace kim::test {

class ProtocolClient {
public:
    ProtocolClient(int port, std::string identity, std::string site);

    const std::string& identity() const { return identity_; }
    const std::string& site() const { return site_; }
    std::string public_key_base64() const;
    const crypto::SigningKeyPair& key() const { return key_; }

    // Challenge–response; throws with the answer when it fails.
    void authenticate();
    // The same with a chosen key (e.g. a wrong one); returns the token answer.
    HttpResponse try_authenticate(const crypto::SigningKeyPair& key);
    const std::string& token() const { return token_; }
    void set_token(std::string token) { token_ = std::move(token); }

    // The next change of this origin's chain: a new case with a clear phase
    // and an encrypted name. Advances the chain (seq and prev).
    Change next_case_change(std::string_view phase = "intake");
    // Seals `c` with this client's key, then advances the chain to it.
    void seal_and_advance(Change& c);
    // The chain position the next change takes.
    std::uint64_t next_seq() const { return seq_ + 1; }
    const Hash32& tip_hash() const { return prev_; }

    HttpResponse push(const std::vector<Change>& changes);
    HttpResponse push_json(const nlohmann::json& changes_array);
    HttpResponse push_body(const std::string& body);
    HttpResponse pull(std::uint64_t since, std::size_t limit = 500);
    // Pulls pages until `more` is false; returns every envelope received.
    std::vector<nlohmann::json> pull_all(std::uint64_t since = 0);

private:
    int port_;
    std::string identity_;
    std::string site_;
    crypto::SigningKeyPair key_;
    std::string token_;
    std::uint64_t seq_ = 0;
    Hash32 prev_{};
};

// A random v4 record id.
std::string new_record_id();

}  // namespace kim::test
