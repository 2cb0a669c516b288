// The server's storage interface: enrolment (replicas, users), the append-only
// change log with its server sequence and chain hash, and the introductions
// relayed to each site. SQLite is the embedded default (sqlite_store.hpp);
// other backends implement the same interface.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kim/shared/bytes.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/checkpoint.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/protocol.hpp"
#include "../stats/count_query.hpp"

namespace kim::server {

struct EnrolledReplica {
    std::string id;
    std::string site;
    crypto::PublicKey public_key{};
    std::int64_t enrolled_at = 0;              // seconds since 1970
    std::optional<std::int64_t> revoked_at;    // set once revoked; never cleared
};

struct User {
    std::string name;
    protocol::Role role = protocol::Role::coordinator;  // coordinator or auditor
    std::optional<crypto::PublicKey> public_key;        // for challenge–response
    std::optional<std::string> password_hash;           // Argon2id string (crypto_pwhash_str)
    std::int64_t created_at = 0;
};

struct ServerSecrets {
    crypto::SigningSecret signing_key;  // signs checkpoints (issue 4)
    crypto::PublicKey public_key{};
    Key32 token_secret;                 // MACs the bearer tokens
};

// The last change stored for one origin (seq 0 and the zero hash if none).
struct OriginTip {
    std::uint64_t seq = 0;
    Hash32 hash{};
};

struct StoredChangeRef {
    std::uint64_t server_seq = 0;
    Hash32 hash{};
};

struct LogEntry {
    std::uint64_t server_seq = 0;
    std::string envelope;  // the change's JSON text as stored (with its ct)
};

struct PullPage {
    std::vector<LogEntry> entries;
    std::uint64_t next = 0;  // cursor after the last entry looked at
    bool more = false;
};

// One change of the log as the audit serves it (docs/protocol.md "Audit").
struct AuditRow {
    std::uint64_t server_seq = 0;
    std::int64_t received_at = 0;  // seconds since 1970
    Hash32 chain{};                // chain[server_seq]
    std::string envelope;          // as stored: with its ct unless purged
};

struct AuditRows {
    std::vector<AuditRow> rows;
    std::uint64_t next = 0;      // the last server_seq in `rows`, else `since`
    bool more = false;           // changes remain after `next`
    std::uint64_t last_seq = 0;  // the log's length in the snapshot read
};

struct LogSummary {
    std::uint64_t changes = 0;
    std::uint64_t last_seq = 0;
    Hash32 chain{};  // chain[last_seq]
};

// One push batch. Reads see the batch's own appends; others see nothing of it
// until commit(). Destroying it without commit() rolls everything back.
// Appends are serialised: while one AppendTransaction lives, others wait.
class AppendTransaction {
public:
    virtual ~AppendTransaction() = default;
    virtual OriginTip tip(std::string_view origin) = 0;
    virtual std::optional<StoredChangeRef> find(std::string_view origin, std::uint64_t seq) = 0;
    // Whether the site's log (with this batch's appends) erases `record` or
    // the case it belongs to: its ciphertexts may then be gone from the replica.
    virtual bool erased(std::string_view site, std::string_view record) = 0;
    // The case a record of the site belongs to (the record itself for a
    // case), as named by the change that created it; nothing before that.
    virtual std::optional<std::string> case_of(std::string_view site, std::string_view record) = 0;
    // Appends with the next server seq and chain[n] = BLAKE2b(chain[n-1] || hash);
    // returns the server seq. When that seq is a multiple of the store's
    // checkpoint interval, a checkpoint of it is signed in this transaction.
    // Ciphertexts of erased records are purged here (GDPR Art. 17): the
    // envelope is stored without its `ct` when the record or its case is
    // erased, and a change carrying `_erased` for record R purges every
    // stored change of R and of the records of case R. Hashes, chain and
    // signatures stay: they cover `ct_hash`, not `ct`.
    virtual std::uint64_t append(const Change& change, const Hash32& hash, std::string_view envelope_json) = 0;
    // Ciphertexts this batch removed from the log so far (for the metrics).
    virtual std::size_t purged_ciphertexts() const = 0;
    // Replaces the replica's stored introduction (opaque JSON text).
    virtual void put_introduction(std::string_view replica, std::string_view introduction_json) = 0;
    virtual void commit() = 0;
};

// Every method is safe to call from several threads at once.
class Store {
public:
    virtual ~Store() = default;

    virtual const ServerSecrets& secrets() const = 0;

    // StateError if the id is taken (by a replica or a user).
    virtual void add_replica(const EnrolledReplica& replica) = 0;
    // NotFoundError if unknown; StateError if already revoked.
    virtual void revoke_replica(std::string_view id, std::int64_t at) = 0;
    virtual std::vector<EnrolledReplica> replicas() = 0;
    virtual std::optional<EnrolledReplica> replica(std::string_view id) = 0;

    // StateError if the name is taken (by a user or a replica).
    virtual void add_user(const User& user) = 0;
    virtual std::optional<User> user(std::string_view name) = 0;

    virtual std::unique_ptr<AppendTransaction> begin_append() = 0;

    // The site's changes after `since` in server order, leaving out those of
    // `skip_origin` (the caller's own), at most `limit` entries and stopping
    // after the page passes `soft_bytes`.
    virtual PullPage read_site(std::string_view site, std::string_view skip_origin, std::uint64_t since,
                               std::size_t limit, std::size_t soft_bytes) = 0;
    // The stored introductions of the site's replicas (JSON texts).
    virtual std::vector<std::string> introductions(std::string_view site) = 0;
    virtual LogSummary summary() = 0;

    // The whole log after `since` in server order, for the audit: at most
    // `limit` rows, stopping after the page passes `soft_bytes` (one row at
    // least). One read snapshot: `last_seq` is that snapshot's length.
    virtual AuditRows read_log(std::uint64_t since, std::size_t limit, std::size_t soft_bytes) = 0;
    // Every checkpoint, by server_seq (oldest first).
    virtual std::vector<Checkpoint> checkpoints() = 0;
    // Signs the log as it stands (server_seq and chain of the last change; 0
    // and 32 zero bytes for the empty log), under the writer lock, and keeps
    // it; when the latest checkpoint already names that server_seq, returns
    // that one instead, so that callers cannot grow the table at will.
    virtual Checkpoint checkpoint_now() = 0;

    // Counts for the coordinators' statistics (stats/count_query.hpp), from
    // the current value of each record's statistical fields as the merge
    // rules give it (DESIGN.md "Merge"), kept up to date in every append.
    // One read snapshot; the query was validated by the caller.
    virtual stats::Counts count_records(const stats::CountQuery& query) = 0;
};

}  // namespace kim::server
