// Reading and writing rows of the meta table.
#include "meta.hpp"

#include "kim/shared/errors.hpp"

namespace kim::client::meta {

std::optional<std::string> get(sqlite::Database& db, std::string_view key) {
    sqlite::Statement st(db, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return st.text(0);
}

std::string require(sqlite::Database& db, std::string_view key) {
    auto v = get(db, key);
    if (!v) throw IntegrityError("the replica database lacks its '" + std::string(key) + "' entry; it is damaged or not a kim replica");
    return *v;
}

void put(sqlite::Database& db, std::string_view key, std::string_view value) {
    sqlite::Statement st(db, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, key).bind(2, value).run();
}

}  // namespace kim::client::meta
