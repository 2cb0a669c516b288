// One push batch: appends to the log inside one IMMEDIATE transaction on the
// writer connection, with the gap-free server sequence and the chain hash.
#include <chrono>

#include "sqlite_store_impl.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The case a record belongs to: its `case` link, or the record itself for a
// case. Kept in clear beside the envelope so that erasing a case can find
// the ciphertexts of all its records (issue 4).
std::string record_case_of(const Change& c) {
    if (const FieldOp* link = c.op(field_case_link); link && link->value && link->value->is_string()) {
        return link->value->get<std::string>();
    }
    return c.record;
}

class SqliteAppendTransaction final : public AppendTransaction {
public:
    SqliteAppendTransaction(std::unique_lock<std::mutex> lock, sqlite::Database& db)
        : lock_(std::move(lock)), db_(db), tx_(db) {
        // The tip of the global chain, read once; append() carries it forward.
        sqlite::Statement st(db_, "SELECT server_seq, chain FROM log ORDER BY server_seq DESC LIMIT 1");
        if (st.step()) {
            last_seq_ = static_cast<std::uint64_t>(st.integer(0));
            chain_ = hash_column(st, 1, "chain hash");
        }
    }

    OriginTip tip(std::string_view origin) override {
        sqlite::Statement st(db_, "SELECT seq, hash FROM log WHERE origin = ? ORDER BY seq DESC LIMIT 1");
        st.bind(1, origin);
        if (!st.step()) return {};
        return {static_cast<std::uint64_t>(st.integer(0)), hash_column(st, 1, "change hash")};
    }

    std::optional<StoredChangeRef> find(std::string_view origin, std::uint64_t seq) override {
        sqlite::Statement st(db_, "SELECT server_seq, hash FROM log WHERE origin = ? AND seq = ?");
        st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
        if (!st.step()) return std::nullopt;
        return StoredChangeRef{static_cast<std::uint64_t>(st.integer(0)), hash_column(st, 1, "change hash")};
    }

    bool erased(std::string_view record) override {
        sqlite::Statement st(db_,
                             "SELECT 1 FROM log WHERE erases = 1 AND record IN "
                             "(?1, (SELECT record_case FROM log WHERE record = ?1 LIMIT 1)) LIMIT 1");
        st.bind(1, record);
        return st.step();
    }

    std::optional<std::string> case_of(std::string_view record) override {
        sqlite::Statement st(db_, "SELECT record_case FROM log WHERE record = ? LIMIT 1");
        st.bind(1, record);
        if (!st.step()) return std::nullopt;
        return st.text(0);
    }

    std::uint64_t append(const Change& c, const Hash32& hash, std::string_view envelope_json) override {
        require_open();
        const std::uint64_t server_seq = last_seq_ + 1;
        const Hash32 chain = crypto::blake2b256(chain_, hash);
        sqlite::Statement st(db_,
                             "INSERT INTO log(server_seq, origin, seq, site, record, kind, record_case, erases, hlc, "
                             "hash, chain, envelope, received_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        st.bind(1, static_cast<std::int64_t>(server_seq))
            .bind(2, c.origin)
            .bind(3, static_cast<std::int64_t>(c.seq))
            .bind(4, c.site)
            .bind(5, c.record)
            .bind(6, c.kind)
            .bind(7, record_case_of(c))
            .bind(8, std::int64_t{c.op(field_erased) != nullptr})
            .bind(9, static_cast<std::int64_t>(c.hlc))
            .bind(10, hash)
            .bind(11, chain)
            .bind(12, envelope_json)
            .bind(13, now_seconds())
            .run();
        last_seq_ = server_seq;
        chain_ = chain;
        return server_seq;
    }

    void put_introduction(std::string_view replica, std::string_view introduction_json) override {
        require_open();
        sqlite::Statement site(db_, "SELECT site FROM replicas WHERE id = ?");
        site.bind(1, replica);
        if (!site.step()) {
            throw NotFoundError("replica '" + std::string(replica) + "' is not enrolled; its introduction was not stored");
        }
        sqlite::Statement st(db_,
                             "INSERT INTO introductions(replica, site, json, received_at) VALUES(?, ?, ?, ?) "
                             "ON CONFLICT(replica) DO UPDATE SET json = excluded.json, received_at = excluded.received_at");
        st.bind(1, replica).bind(2, site.text(0)).bind(3, introduction_json).bind(4, now_seconds()).run();
    }

    void commit() override {
        require_open();
        tx_.commit();
        committed_ = true;
        lock_.unlock();  // the next batch may start while this object lingers
    }

private:
    void require_open() const {
        if (committed_) throw StateError("this push batch was already committed; start a new one");
    }

    // Declared first so that it is released last, after the rollback.
    std::unique_lock<std::mutex> lock_;
    sqlite::Database& db_;
    sqlite::Transaction tx_;
    bool committed_ = false;
    std::uint64_t last_seq_ = 0;
    Hash32 chain_{};  // chain[0]: 32 zero bytes
};

}  // namespace

std::unique_ptr<AppendTransaction> make_sqlite_append_transaction(std::unique_lock<std::mutex> lock,
                                                                  sqlite::Database& writer) {
    return std::make_unique<SqliteAppendTransaction>(std::move(lock), writer);
}

}  // namespace kim::server
