// Runs embedded SQL steps in order, one transaction per step.
#include "kim/sqlite/migrations.hpp"

#include <string>

#include "kim/shared/errors.hpp"

namespace kim::sqlite {

void migrate(Database& db, std::span<const std::string_view* const> steps, std::string_view what,
             std::string_view program) {
    const int latest = static_cast<int>(steps.size());
    const int current = db.user_version();
    if (current > latest) {
        throw StateError(std::string(what) + " was written by a newer kimsync (schema version " + std::to_string(current) +
                         ", this build knows up to " + std::to_string(latest) + "); install the newer version of " +
                         std::string(program));
    }
    for (int version = current + 1; version <= latest; ++version) {
        Transaction tx(db);
        db.exec(*steps[static_cast<std::size_t>(version - 1)]);
        db.exec("PRAGMA user_version = " + std::to_string(version));
        tx.commit();
    }
}

}  // namespace kim::sqlite
