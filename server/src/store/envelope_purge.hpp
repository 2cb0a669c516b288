// A stored change's envelope without its ciphertexts: what the log keeps of
// an erased record (GDPR Art. 17), and what an auditor gets unless it asks
// for the ciphertexts. Signatures and hashes cover each `ct_hash`, never the
// `ct`, so the rest verifies as before.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kim::server {

struct StrippedEnvelope {
    std::string envelope;     // the JSON text without any op's `ct`
    std::size_t removed = 0;  // ciphertexts taken out (0: `envelope` is the input, unchanged)
};

// Works on the JSON as the store wrote it (change_to_json(...).dump(): keys
// sorted, no white space), so every other byte stays as it was.
// IntegrityError if the text is not an envelope: the store is damaged.
StrippedEnvelope without_ciphertexts(std::string_view envelope);

}  // namespace kim::server
