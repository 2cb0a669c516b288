// Where the server's store is, and opening it: a folder for the embedded
// SQLite store (the default), or a postgresql:// URI for the PostgreSQL
// store that several servers can share (docs/operations.md).
#pragma once

#include <memory>
#include <string>

#include "store.hpp"
#include "store_options.hpp"

namespace kim::server {

// Creates a store with new secrets; StateError if one is there already.
void create_store(const std::string& location);
// Opens an existing store, applying pending schema steps; NotFoundError
// with advice when there is none.
std::unique_ptr<Store> open_store(const std::string& location, const StoreOptions& options = {});
// The location as it may be shown: a URI without its password.
std::string printable_location(const std::string& location);

}  // namespace kim::server
