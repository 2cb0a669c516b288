// The two halves of a sync, each over an authenticated ServerSession.
#pragma once

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "server_session.hpp"

namespace kim::client {

// Pushes the outbox in batches, recording each stored batch's acknowledgement
// before the next is sent. A refused batch ends the push: the refusals go to
// `report.refused`, nothing is deleted here.
void push_outbox(ServerSession& session, Replica& replica, const SyncOptions& options, SyncReport& report);

// Pulls pages from the stored cursor until the server has no more, applying
// each page with its cursor in one transaction. IntegrityError (nothing of
// the page applied) when a page fails verification.
void pull_pages(ServerSession& session, Replica& replica, const SyncOptions& options, SyncReport& report);

}  // namespace kim::client
