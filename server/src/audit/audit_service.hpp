// The auditor's part of protocol v1 (docs/protocol.md "Audit"): the keys to
// verify with, the whole log in pages, and the server's signed checkpoints.
// Auditors hold no key that opens anything; what they get is what any
// replica's signature and the server's chain already commit to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "../auth/caller.hpp"
#include "../store/store.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/checkpoint.hpp"

namespace kim::server {

class AuditService {
public:
    explicit AuditService(Store& store);

    // Every method needs the auditor role (PermissionError otherwise).

    // The server's public key and every replica ever enrolled, revoked ones
    // included (their changes stay in the log and must still verify), by id.
    protocol::AuditKeys keys(const Caller& caller);
    // The serialized AuditLogPage (JSON text): the changes after `since` in
    // server order, at most `limit`, stopping early after
    // protocol::audit_page_soft_bytes. Envelopes are spliced in as stored
    // when `with_ciphertexts`, else without any `ct`. InputError unless
    // 1 <= limit <= max_audit_log_limit and since < 2^63.
    std::string log(const Caller& caller, std::uint64_t since, std::size_t limit, bool with_ciphertexts);
    // Every checkpoint, oldest first.
    protocol::CheckpointList checkpoints(const Caller& caller);
    // A checkpoint of the log as it stands now (the stored one if the latest
    // already names the current length).
    Checkpoint checkpoint_now(const Caller& caller);

private:
    Store& store_;
};

}  // namespace kim::server
