// The replica's schema steps (schema/client/), run by kim::sqlite::migrate.
#include "migrations.hpp"

#include <string_view>

#include "kim/sqlite/migrations.hpp"

namespace kim::embedded {
extern const std::string_view client_001_initial;
extern const std::string_view client_002_conflicted;
extern const std::string_view client_003_changes_by_arrival;
extern const std::string_view client_004_heads_without_index;
}

namespace kim::client {

namespace {

// Append new steps here; never edit a step that has shipped.
constexpr const std::string_view* steps[] = {
    &embedded::client_001_initial,              // 1: change log, merge state, keys
    &embedded::client_002_conflicted,           // 2: the places with more than one head
    &embedded::client_003_changes_by_arrival,   // 3: the change log in arrival order, envelopes in place
    &embedded::client_004_heads_without_index,  // 4: heads found through the key of field_ops
};

}  // namespace

int latest_schema_version() { return static_cast<int>(std::size(steps)); }

void migrate(sqlite::Database& db) { sqlite::migrate(db, steps, "this replica", "kim"); }

}  // namespace kim::client
