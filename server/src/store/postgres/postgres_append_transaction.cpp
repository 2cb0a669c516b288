// One push batch on PostgreSQL: one transaction holding the store's writer
// lock, shared by every kim-server process on the database, so that the
// gap-free server sequence and the chain hash follow one order whichever
// server takes the batch (the steps of each append: log_append.hpp).
#include <optional>

#include "../log_append.hpp"
#include "postgres_stats_index.hpp"
#include "postgres_store_impl.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

using pg::as_int;

namespace {

class PostgresAppendTransaction final : public AppendTransaction, private LogTables {
public:
    PostgresAppendTransaction(pg::Pool::Lease lease, const ServerSecrets& secrets, std::uint64_t checkpoint_interval)
        : lease_(std::move(lease)), tx_(*lease_), secrets_(secrets), checkpoint_interval_(checkpoint_interval),
          stats_(*lease_) {
        // Waits here while another batch, of this server or another, is open.
        lock_writer(*lease_);
        // The tip of the global chain, read once under the lock; append() carries it forward.
        const LogSummary tip = log_tip(*lease_);
        tip_ = ChainTip{tip.last_seq, tip.chain};
    }

    OriginTip tip(std::string_view origin) override {
        const auto r = lease_->query("SELECT seq, hash FROM log WHERE origin = $1 ORDER BY seq DESC LIMIT 1",
                                     pg::Params().text(origin));
        if (r.empty()) return {};
        return {static_cast<std::uint64_t>(r.integer(0, 0)), r.hash(0, 1, "change hash")};
    }

    std::optional<StoredChangeRef> find(std::string_view origin, std::uint64_t seq) override {
        const auto r = lease_->query("SELECT server_seq, hash FROM log WHERE origin = $1 AND seq = $2",
                                     pg::Params().text(origin).integer(as_int(seq)));
        if (r.empty()) return std::nullopt;
        return StoredChangeRef{static_cast<std::uint64_t>(r.integer(0, 0)), r.hash(0, 1, "change hash")};
    }

    bool erased(std::string_view site, std::string_view record) override {
        return !lease_
                    ->query("SELECT 1 FROM log WHERE site = $1 AND erases = 1 AND record IN "
                            "($2, (SELECT case_id FROM records WHERE site = $1 AND record = $2)) LIMIT 1",
                            pg::Params().text(site).text(record))
                    .empty();
    }

    std::optional<std::string> case_of(std::string_view site, std::string_view record) override {
        const auto r = lease_->query("SELECT case_id FROM records WHERE site = $1 AND record = $2",
                                     pg::Params().text(site).text(record));
        if (r.empty()) return std::nullopt;
        return r.text(0, 0);
    }

    std::uint64_t append(const Change& c, const Hash32& hash, std::string_view envelope_json) override {
        require_open();
        purged_ += append_change(*this, tip_, AppendRules{secrets_.signing_key, checkpoint_interval_}, c, hash, envelope_json);
        return tip_.server_seq;
    }

    // LogTables: the statements of append_change.
    void learn_case(const Change& c, const std::string& case_id) override {
        lease_->query("INSERT INTO records(site, record, kind, case_id) VALUES($1, $2, $3, $4) "
                      "ON CONFLICT(site, record) DO NOTHING",
                      pg::Params().text(c.site).text(c.record).text(c.kind).text(case_id));
    }

    void insert_change(const Change& c, std::uint64_t server_seq, bool erases, const Hash32& hash, const Hash32& chain,
                       std::string_view envelope) override {
        lease_->query("INSERT INTO log(server_seq, origin, seq, site, record, kind, erases, hlc, hash, chain, "
                      "envelope, received_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                      pg::Params()
                          .integer(as_int(server_seq))
                          .text(c.origin)
                          .integer(as_int(c.seq))
                          .text(c.site)
                          .text(c.record)
                          .text(c.kind)
                          .integer(erases ? 1 : 0)
                          .integer(as_int(c.hlc))
                          .bytes(hash)
                          .bytes(chain)
                          .text(envelope)
                          .integer(system_seconds()));
    }

    StatsTables& stats_tables() override { return stats_; }

    std::size_t purge_ciphertexts(std::string_view site, std::string_view record) override {
        return server::purge_ciphertexts(*lease_, site, record);
    }

    void insert_checkpoint(const Checkpoint& checkpoint) override { server::insert_checkpoint(*lease_, checkpoint); }

    std::size_t purged_ciphertexts() const override { return purged_; }

    void put_introduction(std::string_view replica, std::string_view introduction_json) override {
        require_open();
        const auto site = lease_->query("SELECT site FROM replicas WHERE id = $1", pg::Params().text(replica));
        if (site.empty()) {
            throw NotFoundError("replica '" + std::string(replica) + "' is not enrolled; its introduction was not stored");
        }
        lease_->query("INSERT INTO introductions(replica, site, json, received_at) VALUES($1, $2, $3, $4) "
                      "ON CONFLICT(replica) DO UPDATE SET json = excluded.json, received_at = excluded.received_at",
                      pg::Params().text(replica).text(site.text(0, 0)).text(introduction_json).integer(system_seconds()));
    }

    void commit() override {
        require_open();
        // Committing releases the writer lock: the next batch may start.
        tx_.commit();
        committed_ = true;
    }

private:
    void require_open() const {
        if (committed_) throw StateError("this push batch was already committed; start a new one");
    }

    // Declared first so that the connection goes back to the pool last, after the rollback.
    pg::Pool::Lease lease_;
    pg::Transaction tx_;
    const ServerSecrets& secrets_;
    const std::uint64_t checkpoint_interval_;
    PostgresStatsTables stats_;
    bool committed_ = false;
    std::size_t purged_ = 0;
    ChainTip tip_;
};

}  // namespace

std::unique_ptr<AppendTransaction> make_postgres_append_transaction(pg::Pool::Lease lease, const ServerSecrets& secrets,
                                                                    std::uint64_t checkpoint_interval) {
    return std::make_unique<PostgresAppendTransaction>(std::move(lease), secrets, checkpoint_interval);
}

}  // namespace kim::server
