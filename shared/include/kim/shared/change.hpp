// The change: one signed edit of one record by one replica (DESIGN.md "The change").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"

namespace kim {

// Version of the change envelope and its canonical bytes. Any change to the
// wire encoding is a new version with new golden vectors under tests/golden.
//   1: first version (DESIGN.md "Wire encoding").
inline constexpr int change_format_version = 1;

// Bounds that keep one change from exhausting memory anywhere.
inline constexpr std::size_t max_ops_per_change = 256;
inline constexpr std::size_t max_parents_per_op = 64;
inline constexpr std::size_t max_ciphertext_bytes = 256 * 1024;

struct FieldOp {
    std::string field;
    std::vector<std::string> parents;   // sorted change ids
    std::optional<nlohmann::json> value;  // statistical: a clear category
    std::optional<Bytes> ct;            // confidential: nonce || ciphertext || tag (may be purged)
    std::optional<Hash32> ct_hash;      // confidential: BLAKE2b-256 of ct

    bool confidential() const { return ct_hash.has_value(); }
};

struct Change {
    int v = change_format_version;
    std::string origin;
    std::uint64_t seq = 0;
    std::string site;
    std::string record;
    std::string kind;
    std::uint64_t hlc = 0;
    std::vector<FieldOp> ops;  // sorted by field
    Hash32 prev{};
    crypto::Signature sig{};

    std::string id() const;
    const FieldOp* op(std::string_view field) const;
};

// The envelope as JSON. `with_ct=false` leaves out the ciphertexts (what an
// auditor or a purged log holds); the signature is always included.
nlohmann::json change_to_json(const Change& c, bool with_ct = true);
// The same bytes as change_to_json(c, with_ct).dump(), written without a
// JSON tree (change_text.cpp): for storing and sending.
std::string envelope_text(const Change& c, bool with_ct = true);
// Strict parse: unknown keys, wrong types, unsorted ops or parents, bad ids,
// bad base64 or sizes are refused with an InputError naming the place.
Change change_from_json(const nlohmann::json& j);

// Canonical bytes: the JSON without `sig` and without any `ct`, keys sorted,
// no white space, integers only, UTF-8 (written as envelope_text is).
std::string canonical_bytes(const Change& c);
Hash32 change_hash(const Change& c);

// Sorts ops and parents, fills every ct_hash from its ct, and signs.
void seal_change(Change& c, const crypto::SigningSecret& key);
bool verify_change_signature(const Change& c, const crypto::PublicKey& key);
// True when every ciphertext present matches its signed hash.
bool ciphertexts_match_hashes(const Change& c);

// The associated data that binds a field's ciphertext to its place:
// "origin:seq/record/field".
std::string field_associated_data(std::string_view origin, std::uint64_t seq, std::string_view record,
                                  std::string_view field);

// The hash an origin's first change names as `prev`.
inline constexpr Hash32 zero_hash{};

}  // namespace kim
