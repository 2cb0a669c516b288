// Runs the embedded SQL of schema/client/ in order, one transaction per step.
#include "migrations.hpp"

#include <string>
#include <string_view>

#include "kim/shared/errors.hpp"

namespace kim::embedded {
extern const std::string_view client_001_initial;
}

namespace kim::client {

namespace {

// Append new steps here; never edit a step that has shipped.
constexpr const std::string_view* steps[] = {
    &embedded::client_001_initial,  // 1: change log, merge state, keys
};

}  // namespace

int latest_schema_version() { return static_cast<int>(std::size(steps)); }

void migrate(sqlite::Database& db) {
    const int current = db.user_version();
    if (current > latest_schema_version()) {
        throw StateError("this replica was written by a newer kimsync (schema version " + std::to_string(current) +
                         ", this build knows up to " + std::to_string(latest_schema_version()) +
                         "); install the newer version of kim");
    }
    for (int version = current + 1; version <= latest_schema_version(); ++version) {
        sqlite::Transaction tx(db);
        db.exec(*steps[version - 1]);
        db.exec("PRAGMA user_version = " + std::to_string(version));
        tx.commit();
    }
}

}  // namespace kim::client
