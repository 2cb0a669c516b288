// Emptying the write-ahead log once old page images have become a liability:
// after an erasure (a replica) or a purge (the server), the pages written
// before it still hold the destroyed ciphertexts in the -wal file, while
// secure_delete has zeroed them in the database file itself.
#pragma once

#include <optional>

#include "kim/sqlite/database.hpp"

namespace kim::sqlite {

// `PRAGMA wal_checkpoint(TRUNCATE)`: copies the WAL into the database file
// and cuts it to zero bytes. Best effort: a reader in another connection can
// keep it from finishing; it waits at most `wait_ms` for that (the
// connection's busy timeout when not given, which is restored afterwards),
// and a busy or locked result is not an error. The WAL is then cleared by a
// later call, when it starts over (journal_size_limit) or when the last
// connection closes. Throws nothing of kim::Error: what came before it is
// committed, and a failed cleanup must not turn that into a failure.
void truncate_wal(Database& db, std::optional<int> wait_ms = std::nullopt);

}  // namespace kim::sqlite
