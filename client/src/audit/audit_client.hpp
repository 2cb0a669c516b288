// The auditor's requests (docs/protocol.md "Audit") over a signed-in
// ServerSession: each answer parsed strictly, each refusal a kim error.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kim/audit/key_file.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "server_session.hpp"

namespace kim::audit {

// The session signs in with the auditor's key; its errors speak of kim-audit
// and of how an auditor is enrolled.
client::Credentials auditor_credentials(const AuditorKey& key);

protocol::AuditKeys fetch_keys(client::ServerSession& session);
// POST: the server signs a checkpoint of its log as it stands now.
Checkpoint request_checkpoint(client::ServerSession& session);
protocol::CheckpointList fetch_checkpoints(client::ServerSession& session);
// One page of the log after `since`, with its ciphertexts.
protocol::AuditLogPage fetch_log_page(client::ServerSession& session, std::uint64_t since, std::size_t limit);

}  // namespace kim::audit
