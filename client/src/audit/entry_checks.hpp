// The checks of one log entry that need nothing but the entry and the keys:
// strict parse, hash, signature, ciphertexts against their hashes, the
// catalogue. They are independent of each other's entries, so a page is
// checked on several threads; the order-dependent checks come after, on one.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/change.hpp"

namespace kim::audit {

struct CheckedEntry {
    std::optional<Change> change;   // without its ciphertexts; nothing when it does not parse
    std::string malformed;          // why it does not parse
    std::optional<Hash32> stored_chain;  // nothing when not base64 of 32 bytes
    Hash32 hash{};
    bool key_known = false;         // a key is enrolled for the origin
    bool signature_ok = false;
    std::vector<std::string> ct_mismatch;  // fields whose ciphertext does not match its ct_hash
    std::vector<std::string> purged;       // confidential fields without their ciphertext
    std::string catalogue_error;
};

using KeyMap = std::map<std::string, crypto::PublicKey, std::less<>>;

// Checks `entries` on `threads` threads (the caller's included); `out` gets
// one result per entry, in order.
void check_entries(const std::vector<protocol::AuditLogEntry>& entries, const KeyMap& keys, unsigned threads,
                   std::vector<CheckedEntry>& out);

}  // namespace kim::audit
