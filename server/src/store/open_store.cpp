#include "open_store.hpp"

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace kim::server {

void create_store(const std::string& location) {
    if (is_postgres_location(location)) {
        create_postgres_store(location);
    } else {
        create_sqlite_store(location);
    }
}

std::unique_ptr<Store> open_store(const std::string& location, const StoreOptions& options) {
    if (is_postgres_location(location)) return open_postgres_store(location, options);
    return open_sqlite_store(location, options);
}

std::string printable_location(const std::string& location) {
    return is_postgres_location(location) ? pg::redacted(location) : location;
}

}  // namespace kim::server
