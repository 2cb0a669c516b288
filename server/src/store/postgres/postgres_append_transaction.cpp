// One push batch on PostgreSQL: one transaction holding the store's writer
// lock, shared by every kim-server process on the database, so that the
// gap-free server sequence and the chain hash follow one order whichever
// server takes the batch.
#include <optional>

#include "../case_link.hpp"
#include "../envelope_purge.hpp"
#include "postgres_stats_index.hpp"
#include "postgres_store_impl.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

using pg::as_int;

namespace {

class PostgresAppendTransaction final : public AppendTransaction {
public:
    PostgresAppendTransaction(pg::Pool::Lease lease, const ServerSecrets& secrets, std::uint64_t checkpoint_interval)
        : lease_(std::move(lease)), tx_(*lease_), secrets_(secrets), checkpoint_interval_(checkpoint_interval),
          stats_(*lease_) {
        // Waits here while another batch, of this server or another, is open.
        lock_writer(*lease_);
        // The tip of the global chain, read once under the lock; append() carries it forward.
        const LogSummary tip = log_tip(*lease_);
        last_seq_ = tip.last_seq;
        chain_ = tip.chain;
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
        const std::uint64_t server_seq = last_seq_ + 1;
        const Hash32 chain = crypto::blake2b256(chain_, hash);
        const bool erases = c.op(field_erased) != nullptr;
        if (const auto case_id = case_named_by(c)) {
            // The first word on a record stands: a later change cannot move it to another case.
            // Learnt before the erasure check below, so that a record created
            // after its case was erased is known as erased at once.
            lease_->query("INSERT INTO records(site, record, kind, case_id) VALUES($1, $2, $3, $4) "
                          "ON CONFLICT(site, record) DO NOTHING",
                          pg::Params().text(c.site).text(c.record).text(c.kind).text(*case_id));
        }
        // A change to an erased record (or the erasing change itself) is kept
        // without its ciphertexts: they must not outlive the erasure here.
        const bool erased_record = erases || erased(c.site, c.record);
        StrippedEnvelope stored;
        if (erased_record) {
            stored = without_ciphertexts(envelope_json);
            purged_ += stored.removed;
        }
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
                          .text(erased_record ? std::string_view(stored.envelope) : envelope_json)
                          .integer(system_seconds()));
        // The statistics see the change in the same transaction as the log.
        StatsIndex(stats_).append(c, server_seq);
        if (erased_record) {
            // The erasure purges what came before it (see the SQLite store).
            purged_ += purge_ciphertexts(*lease_, c.site, c.record);
        }
        if (server_seq % checkpoint_interval_ == 0) {
            // In this transaction: the checkpoint holds chain[k*N] exactly,
            // and goes if the batch is rolled back.
            insert_checkpoint(*lease_, sign_checkpoint(server_seq, chain, system_seconds(), secrets_.signing_key));
        }
        last_seq_ = server_seq;
        chain_ = chain;
        return server_seq;
    }

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
    std::uint64_t last_seq_ = 0;
    Hash32 chain_{};  // chain[0]: 32 zero bytes
};

}  // namespace

std::unique_ptr<AppendTransaction> make_postgres_append_transaction(pg::Pool::Lease lease, const ServerSecrets& secrets,
                                                                    std::uint64_t checkpoint_interval) {
    return std::make_unique<PostgresAppendTransaction>(std::move(lease), secrets, checkpoint_interval);
}

}  // namespace kim::server
