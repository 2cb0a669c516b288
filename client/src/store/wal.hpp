// Clearing the write-ahead log after an erasure.
#pragma once

#include "kim/sqlite/database.hpp"

namespace kim::client {

// Copies the WAL into the database file and truncates it to zero bytes
// (`PRAGMA wal_checkpoint(TRUNCATE)`), so that page images written before an
// erasure (holding the destroyed ciphertexts and case keys) do not linger in
// replica.db-wal; secure_delete has zeroed them in the database file itself.
// Best effort: while another process reads the replica the checkpoint may not
// complete (it waits at most the connection's busy timeout); the WAL is then
// cleared by a later erasure or when the last connection closes. Never throws.
void truncate_wal_after_erasure(sqlite::Database& db) noexcept;

}  // namespace kim::client
