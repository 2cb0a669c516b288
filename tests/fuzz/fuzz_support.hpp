// What the fuzz targets and their seed generator (make_seeds.cpp) share: the
// fixed keys the committed seeds are signed with, the names of the synthetic
// site and replicas, and a builder of signed changes. The keys come from
// fixed labels, so that a target started anywhere verifies the seeds made
// once by the generator; they are test keys and protect nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::fuzz {

// The site every target works in, its replicas and users. fz-a's changes
// are in the http_request target's store from the start; fz-b pushes the
// seeds' changes there; the pull_response target's own replica is fz-local.
inline constexpr const char* site = "fz-site";
inline constexpr const char* replica_a = "fz-a";
inline constexpr const char* replica_b = "fz-b";
inline constexpr const char* local_replica = "fz-local";
inline constexpr const char* auditor = "fz-auditor";
inline constexpr const char* coordinator = "fz-coord";

// The replica passphrase and the key bundle's passphrase of the
// pull_response target's replicas (made with the minimal Argon2id cost).
inline constexpr const char* passphrase = "fuzz replica passphrase";
inline constexpr const char* bundle_passphrase = "fuzz bundle passphrase";

// Markers in the http_request seeds, as long as what the target puts in
// their place (a challenge: base64 of 32 bytes; a signature: of 64), so that
// a request's Content-Length still holds.
inline constexpr std::string_view challenge_marker = "@@@@@@@@@@@@@@@@@@CHALLENGE@@@@@@@@@@@@@@@@@";
inline constexpr std::string_view signature_marker =
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@SIGNATURE@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";
static_assert(challenge_marker.size() == 44 && signature_marker.size() == 88);

// The golden vectors' signer (tests/golden/change_v1.json: "seed" and
// "public_key"): its three changes are seeds of the change target.
inline constexpr const char* golden_origin = "hamborn-a";
inline constexpr const char* golden_seed_base64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

// An Ed25519 key pair from BLAKE2b("kimsync fuzz key: " + label).
crypto::SigningKeyPair fixed_key(std::string_view label);
// An Ed25519 key pair from a 32-byte seed in base64.
crypto::SigningKeyPair key_from_seed(std::string_view seed_base64);
// The site key of fz-site, from a fixed label likewise.
Key32 fixed_site_key();

// 2026-01-01T00:00:00Z as an hlc (counter `counter`): every generated change
// is dated then, in the past of every clock the targets run with.
std::uint64_t fixed_hlc(std::uint64_t counter);

// Deterministic bytes that stand in for a ciphertext (nonce, body, tag):
// the server never decrypts, it only checks them against their signed hash.
Bytes fake_ciphertext(std::string_view label, std::size_t size = 64);

// A clear op and a confidential op (fake ciphertext) of a change.
FieldOp clear_op(std::string field, std::string value, std::vector<std::string> parents = {});
FieldOp secret_op(std::string field, std::vector<std::string> parents = {});

// One origin's chain of signed changes: seq counts up from 1, `prev` links
// each change to the one before.
class ChangeChain {
public:
    ChangeChain(std::string origin, crypto::SigningKeyPair key);
    Change next(const std::string& record, const std::string& kind, std::vector<FieldOp> ops);
    const std::string& origin() const { return origin_; }
    const crypto::SigningKeyPair& key() const { return key_; }

private:
    std::string origin_;
    crypto::SigningKeyPair key_;
    std::uint64_t seq_ = 0;
    Hash32 prev_{};
};

// fz-a's sample changes for the change target (signed with `chain`'s key):
// a case, a goal, an edit with a parent, a contact and an erasure.
std::vector<Change> sample_changes(ChangeChain& chain);

// The http_request target's store holds these of fz-a from the start: four
// cases (phases intake, intake, planning, closed) and a goal of the first.
inline constexpr const char* server_case_ids[] = {
    "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f", "4d5e6f7a-8b9c-4d1e-9f2a-3b4c5d6e7f8a",
    "5e6f7a8b-9c1d-4e2f-8a3b-4c5d6e7f8a9b", "6f7a8b9c-1d2e-4f3a-9b4c-5d6e7f8a9b1c"};
std::vector<Change> server_changes(ChangeChain& chain);

// The bytes of a file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& file);

// A folder for one process's scratch files, removed when the process exits
// normally; on tmpfs when there is one.
std::filesystem::path scratch_folder(std::string_view prefix);

}  // namespace kim::fuzz
