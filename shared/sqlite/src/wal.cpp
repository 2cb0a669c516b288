// Best-effort emptying of the write-ahead log (kim/sqlite/wal.hpp).
#include "kim/sqlite/wal.hpp"

#include <string>

#include "kim/shared/errors.hpp"

namespace kim::sqlite {

void truncate_wal(Database& db, std::optional<int> wait_ms) {
    try {
        std::optional<std::int64_t> restore;
        if (wait_ms) {
            Statement st(db, "PRAGMA busy_timeout");
            if (st.step()) restore = st.integer(0);
            db.exec("PRAGMA busy_timeout = " + std::to_string(*wait_ms));
        }
        try {
            // One row (busy, log frames, checkpointed frames); busy = 1 is not an error here.
            Statement st(db, "PRAGMA wal_checkpoint(TRUNCATE)");
            while (st.step()) {
            }
        } catch (const Error&) {
            // Busy or locked: a later call, the WAL's restart or the close will do it.
        }
        if (restore) db.exec("PRAGMA busy_timeout = " + std::to_string(*restore));
    } catch (const Error&) {
        // What came before is committed; the cleanup only waits for another chance.
    }
}

}  // namespace kim::sqlite
