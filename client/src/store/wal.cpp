// PRAGMA wal_checkpoint(TRUNCATE), best effort.
#include "wal.hpp"

namespace kim::client {

void truncate_wal_after_erasure(sqlite::Database& db) noexcept {
    try {
        // One row (busy, log frames, checkpointed frames); busy = 1 means a
        // reader or writer of another process kept it from finishing, which
        // is not an error here (see the header).
        sqlite::Statement st(db, "PRAGMA wal_checkpoint(TRUNCATE)");
        while (st.step()) {
        }
    } catch (...) {
        // The erasure itself is committed; a failed checkpoint only delays the cleanup.
    }
}

}  // namespace kim::client
