// Numbered schema migrations, shared by the replica and the server store:
// step i (1-based) brings a database from user_version i-1 to i.
#pragma once

#include <span>
#include <string_view>

#include "kim/sqlite/database.hpp"

namespace kim::sqlite {

// Applies every step above the file's user_version, each in its own
// transaction. Refuses a file written by a newer build with a StateError
// that names `what` ("this replica") and the program to update ("kim").
void migrate(Database& db, std::span<const std::string_view* const> steps, std::string_view what,
             std::string_view program);

}  // namespace kim::sqlite
