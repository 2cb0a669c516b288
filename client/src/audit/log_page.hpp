// What a page of the audit log must be before its entries reach the
// verifier (verify_server.cpp). Apart from the session, so that tests can
// feed it pages a misbehaving server would send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "kim/shared/audit_protocol.hpp"

namespace kim::audit {

// The page of the log after `since`, asked for with `limit`: no more entries
// than asked for, server seqs increasing (within the page and after
// `since`), `next` within the log's length, that length never shrinking
// from `last_seq_before` (the previous page's). Otherwise a server could
// keep a run going forever (more=true) or feed it without bound. kim::Error
// (the server's fault, exit 1) naming `server`.
void check_log_page(const std::string& server, const protocol::AuditLogPage& page, std::uint64_t since,
                    std::size_t limit, std::optional<std::uint64_t> last_seq_before);

}  // namespace kim::audit
