// One push batch: appends to the log inside one IMMEDIATE transaction on the
// writer connection (the steps of each append: log_append.hpp).

#include <optional>

#include "../log_append.hpp"
#include "kim/sqlite/wal.hpp"
#include "sqlite_stats_index.hpp"
#include "sqlite_store_impl.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

namespace {

class SqliteAppendTransaction final : public AppendTransaction, private LogTables {
public:
    SqliteAppendTransaction(std::unique_lock<std::mutex> lock, sqlite::Database& db, const ServerSecrets& secrets,
                            std::uint64_t checkpoint_interval)
        : lock_(std::move(lock)), db_(db), tx_(db), secrets_(secrets), checkpoint_interval_(checkpoint_interval) {
        // The tip of the global chain, read once; append() carries it forward.
        sqlite::Statement st(db_, "SELECT server_seq, chain FROM log ORDER BY server_seq DESC LIMIT 1");
        if (st.step()) tip_ = ChainTip{static_cast<std::uint64_t>(st.integer(0)), hash_column(st, 1, "chain hash")};
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

    bool erased(std::string_view site, std::string_view record) override {
        sqlite::Statement st(db_,
                             "SELECT 1 FROM log WHERE site = ?1 AND erases = 1 AND record IN "
                             "(?2, (SELECT case_id FROM records WHERE site = ?1 AND record = ?2)) LIMIT 1");
        st.bind(1, site).bind(2, record);
        return st.step();
    }

    std::optional<std::string> case_of(std::string_view site, std::string_view record) override {
        sqlite::Statement st(db_, "SELECT case_id FROM records WHERE site = ? AND record = ?");
        st.bind(1, site).bind(2, record);
        if (!st.step()) return std::nullopt;
        return st.text(0);
    }

    std::uint64_t append(const Change& c, const Hash32& hash, std::string_view envelope_json) override {
        require_open();
        purged_ += append_change(*this, tip_, AppendRules{secrets_.signing_key, checkpoint_interval_}, c, hash, envelope_json);
        return tip_.server_seq;
    }

    // LogTables: the statements of append_change.
    void learn_case(const Change& c, const std::string& case_id) override {
        sqlite::Statement rec(db_,
                              "INSERT INTO records(site, record, kind, case_id) VALUES(?, ?, ?, ?) "
                              "ON CONFLICT(site, record) DO NOTHING");
        rec.bind(1, c.site).bind(2, c.record).bind(3, c.kind).bind(4, case_id).run();
    }

    void insert_change(const Change& c, std::uint64_t server_seq, bool erases, const Hash32& hash, const Hash32& chain,
                       std::string_view envelope) override {
        sqlite::Statement st(db_,
                             "INSERT INTO log(server_seq, origin, seq, site, record, kind, erases, hlc, "
                             "hash, chain, envelope, received_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        st.bind(1, static_cast<std::int64_t>(server_seq))
            .bind(2, c.origin)
            .bind(3, static_cast<std::int64_t>(c.seq))
            .bind(4, c.site)
            .bind(5, c.record)
            .bind(6, c.kind)
            .bind(7, std::int64_t{erases})
            .bind(8, static_cast<std::int64_t>(c.hlc))
            .bind(9, hash)
            .bind(10, chain)
            .bind(11, envelope)
            .bind(12, system_seconds())
            .run();
    }

    StatsTables& stats_tables() override {
        if (!stats_) stats_.emplace(db_);
        return *stats_;
    }

    std::size_t purge_ciphertexts(std::string_view site, std::string_view record) override {
        return server::purge_ciphertexts(db_, site, record);
    }

    void insert_checkpoint(const Checkpoint& checkpoint) override { server::insert_checkpoint(db_, checkpoint); }

    std::size_t purged_ciphertexts() const override { return purged_; }

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
        st.bind(1, replica).bind(2, site.text(0)).bind(3, introduction_json).bind(4, system_seconds()).run();
    }

    void commit() override {
        require_open();
        // Its statements go with the batch: this object may outlive the
        // writer lock, and the connection is the next batch's then.
        stats_.reset();
        tx_.commit();
        committed_ = true;
        // Still under the writer lock: no batch writes meanwhile. A reader in
        // the way is waited for briefly only: every push waits on this lock.
        if (purged_) sqlite::truncate_wal(db_, /*wait_ms=*/250);
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
    const ServerSecrets& secrets_;
    const std::uint64_t checkpoint_interval_;
    bool committed_ = false;
    std::size_t purged_ = 0;
    ChainTip tip_;
    // Prepared on the first append of the batch, finalised before the rollback.
    std::optional<SqliteStatsTables> stats_;
};

}  // namespace

std::unique_ptr<AppendTransaction> make_sqlite_append_transaction(std::unique_lock<std::mutex> lock,
                                                                  sqlite::Database& writer, const ServerSecrets& secrets,
                                                                  std::uint64_t checkpoint_interval) {
    return std::make_unique<SqliteAppendTransaction>(std::move(lock), writer, secrets, checkpoint_interval);
}

}  // namespace kim::server
