// The checks of one pushed change, in the order of the table in
// docs/protocol.md "Push": each failure is a Refusal with a message for a
// person that names the change and the rule, never a value.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "../auth/caller.hpp"
#include "../store/store.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server {

struct PushContext {
    const Caller& caller;
    const crypto::PublicKey& enrolled_key;  // the caller's key as enrolled
    const Catalogue& catalogue;
    std::uint64_t now_millis = 0;           // the server's clock
    // Records erased by a change of this batch (`_erased`), wherever it stands
    // in the batch: their earlier changes may come without ciphertexts.
    const std::set<std::string>& erased_in_batch;
};

struct ChangeVerdict {
    enum class Kind { fresh, duplicate, refused };
    Kind kind = Kind::fresh;
    Hash32 hash{};
    std::optional<protocol::Refusal> reason;  // refused
    std::string message;                      // refused
    std::uint64_t server_seq = 0;             // duplicate: where it is stored
    // equivocation: the hash of the change stored under the same id
    std::optional<Hash32> stored_hash;
};

// A parsed change with what can be computed before the writer lock is
// taken: its hash and whether its signature verifies with the enrolled key.
struct PreparedChange {
    Change change;
    Hash32 hash{};
    bool signature_ok = false;
};
PreparedChange prepare_change(Change change, const crypto::PublicKey& enrolled_key);

// Checks a prepared change against the batch so far (`tx` sees its appends).
// `chain_checks` false leaves out gap and broken_chain: once a change of the
// batch is refused, the later ones cannot follow it and would all be
// reported as gaps, hiding their own faults (if any).
ChangeVerdict check_pushed_change(const PreparedChange& prepared, AppendTransaction& tx, const PushContext& ctx,
                                  bool chain_checks);

// The message of a change that failed to parse (Refusal::malformed).
std::string malformed_message(std::string_view id, std::string_view parse_error);

}  // namespace kim::server
