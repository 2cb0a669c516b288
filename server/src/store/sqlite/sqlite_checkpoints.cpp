// The checkpoints table (schema/server/002_checkpoints.sql).
#include <algorithm>

#include "sqlite_store_impl.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

namespace {

constexpr const char* checkpoint_columns = "SELECT server_seq, chain, time, sig FROM checkpoints";

Checkpoint checkpoint_from_row(const sqlite::Statement& st) {
    Checkpoint c;
    c.server_seq = static_cast<std::uint64_t>(st.integer(0));
    c.chain = hash_column(st, 1, "checkpoint chain hash");
    c.time = st.integer(2);
    const Bytes sig = st.blob(3);
    if (sig.size() != c.sig.size()) {
        throw IntegrityError("a stored checkpoint signature has the wrong size; the server store is damaged");
    }
    std::copy(sig.begin(), sig.end(), c.sig.begin());
    return c;
}

}  // namespace

void insert_checkpoint(sqlite::Database& db, const Checkpoint& c) {
    sqlite::Statement st(db, "INSERT INTO checkpoints(server_seq, chain, time, sig) VALUES(?, ?, ?, ?)");
    st.bind(1, static_cast<std::int64_t>(c.server_seq)).bind(2, c.chain).bind(3, c.time).bind(4, c.sig).run();
}

std::optional<Checkpoint> latest_checkpoint(sqlite::Database& db) {
    sqlite::Statement st(db, std::string(checkpoint_columns) + " ORDER BY server_seq DESC LIMIT 1");
    if (!st.step()) return std::nullopt;
    return checkpoint_from_row(st);
}

std::vector<Checkpoint> all_checkpoints(sqlite::Database& db) {
    sqlite::Statement st(db, std::string(checkpoint_columns) + " ORDER BY server_seq");
    std::vector<Checkpoint> out;
    while (st.step()) out.push_back(checkpoint_from_row(st));
    return out;
}

}  // namespace kim::server
