// Canonical bytes, hashing and signing of changes.
#include "kim/shared/change.hpp"

#include <algorithm>

#include "kim/shared/ids.hpp"

namespace kim {

std::string Change::id() const { return change_id(origin, seq); }

const FieldOp* Change::op(std::string_view field) const {
    for (const auto& o : ops) {
        if (o.field == field) return &o;
    }
    return nullptr;
}

Hash32 change_hash(const Change& c) { return crypto::blake2b256(as_bytes(canonical_bytes(c))); }

void seal_change(Change& c, const crypto::SigningSecret& key) {
    std::sort(c.ops.begin(), c.ops.end(), [](const FieldOp& a, const FieldOp& b) { return a.field < b.field; });
    for (auto& op : c.ops) {
        std::sort(op.parents.begin(), op.parents.end());
        op.parents.erase(std::unique(op.parents.begin(), op.parents.end()), op.parents.end());
        if (op.ct) op.ct_hash = crypto::blake2b256(*op.ct);
    }
    c.sig = crypto::sign(key, as_bytes(canonical_bytes(c)));
}

bool verify_change_signature(const Change& c, const crypto::PublicKey& key) {
    return crypto::verify(key, as_bytes(canonical_bytes(c)), c.sig);
}

bool ciphertexts_match_hashes(const Change& c) {
    return std::all_of(c.ops.begin(), c.ops.end(), [](const FieldOp& op) {
        return !op.ct || (op.ct_hash && crypto::constant_time_equal(crypto::blake2b256(*op.ct), *op.ct_hash));
    });
}

std::string field_associated_data(std::string_view origin, std::uint64_t seq, std::string_view record,
                                  std::string_view field) {
    std::string ad = change_id(origin, seq);
    ad.push_back('/');
    ad += record;
    ad.push_back('/');
    ad += field;
    return ad;
}

}  // namespace kim
