// Tampering with a stopped kim-server's store (store_surgery.hpp).
#include "store_surgery.hpp"

#include <sqlite3.h>

#include <map>
#include <stdexcept>

#include "kim/shared/base64.hpp"
#include "kim/shared/checkpoint.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::test {

namespace {

class Query {
public:
    Query(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) {
            throw std::runtime_error("store surgery: " + std::string(sqlite3_errmsg(db)) + " in " + sql);
        }
    }
    ~Query() { sqlite3_finalize(st_); }
    Query& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(st_, i, v);
        return *this;
    }
    Query& bind(int i, const std::string& v) {
        sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Query& bind_blob(int i, const std::uint8_t* p, std::size_t n) {
        sqlite3_bind_blob(st_, i, p, static_cast<int>(n), SQLITE_TRANSIENT);
        return *this;
    }
    bool step() {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error("store surgery: " + std::string(sqlite3_errmsg(db_)));
    }
    std::int64_t integer(int c) { return sqlite3_column_int64(st_, c); }
    std::string text(int c) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, c))) : std::string();
    }
    Hash32 hash(int c) {
        Hash32 h{};
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, c));
        if (!p || sqlite3_column_bytes(st_, c) != 32) throw std::runtime_error("store surgery: not a 32-byte hash");
        std::copy(p, p + 32, h.begin());
        return h;
    }

private:
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

StoredLogRow read_row(Query& q) {
    StoredLogRow r;
    r.server_seq = static_cast<std::uint64_t>(q.integer(0));
    r.origin = q.text(1);
    r.seq = static_cast<std::uint64_t>(q.integer(2));
    r.record = q.text(3);
    r.kind = q.text(4);
    r.envelope = nlohmann::json::parse(q.text(5));
    return r;
}

constexpr const char* row_columns = "SELECT server_seq, origin, seq, record, kind, envelope FROM log ";

}  // namespace

StoreSurgery::StoreSurgery(const std::filesystem::path& data_dir) {
    const std::string file = (data_dir / "server.db").string();
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        throw std::runtime_error("store surgery: cannot open " + file);
    }
    std::vector<std::string> triggers;
    {
        Query q(db_, "SELECT name FROM sqlite_master WHERE type = 'trigger'");
        while (q.step()) triggers.push_back(q.text(0));
    }
    for (const auto& t : triggers) exec("DROP TRIGGER \"" + t + "\"");
}

StoreSurgery::~StoreSurgery() { sqlite3_close(db_); }

void StoreSurgery::exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error("store surgery: " + message + " in " + sql);
    }
}

std::vector<StoredLogRow> StoreSurgery::log() {
    Query q(db_, std::string(row_columns) + "ORDER BY server_seq");
    std::vector<StoredLogRow> rows;
    while (q.step()) rows.push_back(read_row(q));
    return rows;
}

StoredLogRow StoreSurgery::row(std::uint64_t server_seq) {
    Query q(db_, std::string(row_columns) + "WHERE server_seq = ?");
    q.bind(1, static_cast<std::int64_t>(server_seq));
    if (!q.step()) throw std::runtime_error("store surgery: no change at server seq " + std::to_string(server_seq));
    return read_row(q);
}

StoredLogRow StoreSurgery::first_with_ciphertext(const std::string& origin, const std::string& field) {
    for (auto& r : log()) {
        if (r.origin != origin) continue;
        for (const auto& op : r.envelope["ops"]) {
            if (op.contains("ct") && (field.empty() || op["field"] == field)) return r;
        }
    }
    throw std::runtime_error("store surgery: no change of " + origin + " holds a ciphertext");
}

void StoreSurgery::set_envelope(std::uint64_t server_seq, const nlohmann::json& envelope) {
    Query q(db_, "UPDATE log SET envelope = ? WHERE server_seq = ?");
    q.bind(1, envelope.dump()).bind(2, static_cast<std::int64_t>(server_seq));
    q.step();
}

void StoreSurgery::delete_change(std::uint64_t server_seq) {
    Query q(db_, "DELETE FROM log WHERE server_seq = ?");
    q.bind(1, static_cast<std::int64_t>(server_seq));
    q.step();
}

void StoreSurgery::swap(std::uint64_t a, std::uint64_t b) {
    const auto sa = std::to_string(a);
    const auto sb = std::to_string(b);
    exec("UPDATE log SET server_seq = -1 WHERE server_seq = " + sa);
    exec("UPDATE log SET server_seq = " + sa + " WHERE server_seq = " + sb);
    exec("UPDATE log SET server_seq = " + sb + " WHERE server_seq = -1");
}

void StoreSurgery::append(const Change& change) {
    std::int64_t last = 0;
    Hash32 chain{};
    {
        Query q(db_, "SELECT server_seq, chain FROM log ORDER BY server_seq DESC LIMIT 1");
        if (q.step()) {
            last = q.integer(0);
            chain = q.hash(1);
        }
    }
    const Hash32 hash = change_hash(change);
    const Hash32 next = crypto::blake2b256(chain, hash);
    Query q(db_,
            "INSERT INTO log(server_seq, origin, seq, site, record, kind, erases, hlc, hash, chain, envelope, "
            "received_at) VALUES(?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)");
    q.bind(1, last + 1)
        .bind(2, change.origin)
        .bind(3, static_cast<std::int64_t>(change.seq))
        .bind(4, change.site)
        .bind(5, change.record)
        .bind(6, change.kind)
        .bind(7, static_cast<std::int64_t>(change.hlc))
        .bind_blob(8, hash.data(), hash.size())
        .bind_blob(9, next.data(), next.size())
        .bind(10, change_to_json(change, true).dump())
        .bind(11, system_seconds());
    q.step();
}

crypto::SigningSecret StoreSurgery::server_key() {
    Query q(db_, "SELECT value FROM meta WHERE key = 'signing_key'");
    if (!q.step()) throw std::runtime_error("store surgery: the store has no signing key");
    const auto bytes = base64_decode(q.text(0));
    if (!bytes || bytes->size() != crypto::secret_key_size) throw std::runtime_error("store surgery: bad signing key");
    crypto::SigningSecret secret;
    std::copy(bytes->begin(), bytes->end(), secret.data());
    return secret;
}

void StoreSurgery::rechain_and_resign() {
    std::vector<std::pair<std::int64_t, Hash32>> hashes;
    {
        Query q(db_, "SELECT server_seq, hash FROM log ORDER BY server_seq");
        while (q.step()) hashes.emplace_back(q.integer(0), q.hash(1));
    }
    std::map<std::int64_t, Hash32> chain_at;
    Hash32 chain{};
    for (const auto& [seq, hash] : hashes) {
        chain = crypto::blake2b256(chain, hash);
        chain_at[seq] = chain;
        Query u(db_, "UPDATE log SET chain = ? WHERE server_seq = ?");
        u.bind_blob(1, chain.data(), chain.size()).bind(2, seq);
        u.step();
    }
    const crypto::SigningSecret key = server_key();
    std::vector<std::pair<std::int64_t, std::int64_t>> checkpoints;  // id, server_seq
    {
        Query q(db_, "SELECT id, server_seq FROM checkpoints");
        while (q.step()) checkpoints.emplace_back(q.integer(0), q.integer(1));
    }
    for (const auto& [id, seq] : checkpoints) {
        const Hash32 at = seq == 0 ? Hash32{} : chain_at.at(seq);
        const Checkpoint c = sign_checkpoint(static_cast<std::uint64_t>(seq), at, system_seconds(), key);
        Query u(db_, "UPDATE checkpoints SET chain = ?, time = ?, sig = ? WHERE id = ?");
        u.bind_blob(1, c.chain.data(), c.chain.size()).bind(2, c.time).bind_blob(3, c.sig.data(), c.sig.size()).bind(4, id);
        u.step();
    }
}

void StoreSurgery::flip_checkpoint_signature(std::uint64_t server_seq) {
    std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> rows;
    {
        Query q(db_, "SELECT id, sig FROM checkpoints WHERE server_seq = ?");
        q.bind(1, static_cast<std::int64_t>(server_seq));
        while (q.step()) {
            const std::string sig = q.text(1);
            rows.emplace_back(q.integer(0), std::vector<std::uint8_t>(sig.begin(), sig.end()));
        }
    }
    if (rows.empty()) throw std::runtime_error("store surgery: no checkpoint at server seq " + std::to_string(server_seq));
    for (auto& [id, sig] : rows) {
        sig.at(10) ^= 0x01;
        Query u(db_, "UPDATE checkpoints SET sig = ? WHERE id = ?");
        u.bind_blob(1, sig.data(), sig.size()).bind(2, id);
        u.step();
    }
}

}  // namespace kim::test
