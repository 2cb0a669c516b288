// The PostgreSQL store: creating and opening it, enrolment and reads.
#include "postgres_store.hpp"

#include <algorithm>

#include "../enrolment.hpp"
#include "../store_meta.hpp"
#include "postgres_schema.hpp"
#include "postgres_stats_index.hpp"
#include "postgres_store_impl.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

namespace {

// Idle connections kept open: about one per HTTP thread.
constexpr std::size_t idle_connections = 16;

std::optional<std::string> meta_get(pg::Connection& conn, std::string_view key) {
    const auto r = conn.query("SELECT value FROM meta WHERE key = $1", pg::Params().text(key));
    if (r.empty()) return std::nullopt;
    return r.text(0, 0);
}

std::optional<crypto::PublicKey> key_column(const pg::Result& r, int row, int column) {
    if (r.is_null(row, column)) return std::nullopt;
    const Hash32 bytes = r.hash(row, column, "public key");
    crypto::PublicKey k{};
    std::copy(bytes.begin(), bytes.end(), k.begin());
    return k;
}

EnrolledReplica replica_from_row(const pg::Result& r, int row) {
    EnrolledReplica e;
    e.id = r.text(row, 0);
    e.site = r.text(row, 1);
    e.public_key = *key_column(r, row, 2);
    e.enrolled_at = r.integer(row, 3);
    if (!r.is_null(row, 4)) e.revoked_at = r.integer(row, 4);
    return e;
}

constexpr const char* replica_columns = "SELECT id, site, public_key, enrolled_at, revoked_at FROM replicas";

// The enrolment statements inside the caller's transaction (enrolment.hpp).
class PostgresEnrolment final : public EnrolmentTables {
public:
    explicit PostgresEnrolment(pg::Connection& conn) : conn_(conn) {}

    std::optional<std::optional<std::int64_t>> replica_revoked_at(std::string_view id) override {
        const auto r = conn_.query("SELECT revoked_at FROM replicas WHERE id = $1", pg::Params().text(id));
        if (r.empty()) return std::nullopt;
        return r.is_null(0, 0) ? std::optional<std::int64_t>() : std::optional<std::int64_t>(r.integer(0, 0));
    }

    bool identity_taken(std::string_view id) override {
        return !conn_.query("SELECT 1 FROM replicas WHERE id = $1 UNION ALL SELECT 1 FROM users WHERE name = $1",
                            pg::Params().text(id))
                    .empty();
    }

    std::optional<std::string> replica_with_key(const crypto::PublicKey& key) override {
        const auto r = conn_.query("SELECT id FROM replicas WHERE public_key = $1", pg::Params().bytes(key));
        if (r.empty()) return std::nullopt;
        return r.text(0, 0);
    }

    void insert_replica(const EnrolledReplica& r) override {
        pg::Params p;
        p.text(r.id).text(r.site).bytes(r.public_key).integer(r.enrolled_at);
        if (r.revoked_at) {
            p.integer(*r.revoked_at);
        } else {
            p.null();
        }
        conn_.query("INSERT INTO replicas(id, site, public_key, enrolled_at, revoked_at) VALUES($1, $2, $3, $4, $5)", p);
    }

    void set_revoked_at(std::string_view id, std::int64_t at) override {
        conn_.query("UPDATE replicas SET revoked_at = $1 WHERE id = $2", pg::Params().integer(at).text(id));
    }

    void insert_user(const User& u) override {
        pg::Params p;
        p.text(u.name).text(protocol::to_string(u.role));
        if (u.public_key) {
            p.bytes(*u.public_key);
        } else {
            p.null();
        }
        if (u.password_hash) {
            p.text(*u.password_hash);
        } else {
            p.null();
        }
        p.integer(u.created_at);
        conn_.query("INSERT INTO users(name, role, public_key, password_hash, created_at) VALUES($1, $2, $3, $4, $5)", p);
    }

private:
    pg::Connection& conn_;
};

std::string not_found_advice(const std::string& where) {
    return "no server store in the database " + where + ": create one with `kim-server --store URI init`, or " +
           "choose another database with --store / KIM_SERVER_STORE";
}

}  // namespace

bool is_postgres_location(std::string_view location) {
    if (location.starts_with("postgresql://") || location.starts_with("postgres://")) return true;
    // libpq's key=value form (host=… dbname=…) would be taken for a folder
    // name, and echoed with its password: refused with the form to use.
    if (location.find('=') != std::string_view::npos && location.find('/') == std::string_view::npos) {
        throw InputError("--store: a PostgreSQL store is named by a URI, postgresql://USER@HOST:PORT/DATABASE "
                         "(libpq's key=value form is not taken), and a folder name holds no '='");
    }
    return false;
}

void lock_writer(pg::Connection& conn) {
    if (conn.query("SELECT id FROM writer_lock WHERE id = 1 FOR UPDATE").rows() != 1) {
        throw IntegrityError("the server store's writer_lock row is missing, so the servers cannot take turns appending; "
                             "the store is damaged: restore it from a backup, or put the row back "
                             "(INSERT INTO writer_lock(id) VALUES (1)) with every server stopped");
    }
}

LogSummary log_tip(pg::Connection& conn) {
    LogSummary s;
    const auto r = conn.query("SELECT server_seq, chain FROM log ORDER BY server_seq DESC LIMIT 1");
    if (!r.empty()) {
        s.last_seq = static_cast<std::uint64_t>(r.integer(0, 0));
        s.changes = s.last_seq;  // server_seq has no gaps
        s.chain = r.hash(0, 1, "chain hash");
    }
    return s;
}

void create_postgres_store(const std::string& conninfo) {
    crypto::init();
    pg::Connection conn(conninfo);
    const NewStoreMeta meta(system_seconds());
    // Tables and secrets in one transaction: a failed init leaves nothing.
    pg::Transaction tx(conn);
    lock_postgres_schema(conn);
    if (postgres_store_exists(conn)) {
        throw StateError("there is already a server store in the database " + pg::redacted(conninfo) +
                         "; use it as it is, or choose another database with --store");
    }
    apply_pending_postgres_steps(conn);
    for (const auto& [key, value] : meta.entries()) {
        conn.query("INSERT INTO meta(key, value) VALUES($1, $2)", pg::Params().text(key).text(value));
    }
    tx.commit();
}

std::unique_ptr<Store> open_postgres_store(const std::string& conninfo, const StoreOptions& options) {
    crypto::init();
    check_store_options(options);
    const std::string where = pg::redacted(conninfo);
    ServerSecrets secrets;
    {
        pg::Connection conn(conninfo);
        if (!postgres_store_exists(conn)) throw NotFoundError(not_found_advice(where));
        migrate_postgres_store(conn);
        secrets = load_store_secrets([&](std::string_view key) { return meta_get(conn, key); }, where);
        // Before any push: a log changed while no server ran is indexed first.
        catch_up_postgres_stats_index(conn);
    }
    return std::make_unique<PostgresStore>(conninfo, std::move(secrets), options);
}

PostgresStore::PostgresStore(const std::string& conninfo, ServerSecrets secrets, StoreOptions options)
    : pool_(conninfo, idle_connections), secrets_(std::move(secrets)), options_(options) {}

void PostgresStore::add_replica(const EnrolledReplica& r) {
    auto conn = pool_.acquire();
    pg::Transaction tx(*conn);
    lock_writer(*conn);
    PostgresEnrolment tables(*conn);
    enrol_replica(tables, r);
    tx.commit();
}

void PostgresStore::revoke_replica(std::string_view id, std::int64_t at) {
    auto conn = pool_.acquire();
    pg::Transaction tx(*conn);
    lock_writer(*conn);
    PostgresEnrolment tables(*conn);
    revoke_enrolled_replica(tables, id, at);
    tx.commit();
}

std::vector<EnrolledReplica> PostgresStore::replicas() {
    auto conn = pool_.acquire();
    const auto r = conn->query(std::string(replica_columns) + " ORDER BY site, id");
    std::vector<EnrolledReplica> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(replica_from_row(r, i));
    return out;
}

std::optional<EnrolledReplica> PostgresStore::replica(std::string_view id) {
    auto conn = pool_.acquire();
    const auto r = conn->query(std::string(replica_columns) + " WHERE id = $1", pg::Params().text(id));
    if (r.empty()) return std::nullopt;
    return replica_from_row(r, 0);
}

void PostgresStore::add_user(const User& u) {
    check_new_user(u);
    auto conn = pool_.acquire();
    pg::Transaction tx(*conn);
    lock_writer(*conn);
    PostgresEnrolment tables(*conn);
    enrol_user(tables, u);
    tx.commit();
}

std::optional<User> PostgresStore::user(std::string_view name) {
    auto conn = pool_.acquire();
    const auto r = conn->query("SELECT name, role, public_key, password_hash, created_at FROM users WHERE name = $1",
                               pg::Params().text(name));
    if (r.empty()) return std::nullopt;
    User u;
    u.name = r.text(0, 0);
    try {
        u.role = protocol::role_from_string(r.text(0, 1));
    } catch (const InputError&) {
        throw IntegrityError("a stored user has an unknown role; the server store is damaged");
    }
    u.public_key = key_column(r, 0, 2);
    if (!r.is_null(0, 3)) u.password_hash = r.text(0, 3);
    u.created_at = r.integer(0, 4);
    return u;
}

std::unique_ptr<AppendTransaction> PostgresStore::begin_append() {
    return make_postgres_append_transaction(pool_.acquire(), secrets_, options_.checkpoint_interval);
}

PullPage PostgresStore::read_site(std::string_view site, std::string_view skip_origin, std::uint64_t since,
                                  std::size_t limit, std::size_t soft_bytes) {
    PullPage page;
    page.next = since;
    if (limit == 0) return page;
    auto conn = pool_.acquire();
    // One snapshot for both queries: batches commit one after the other in
    // server order (the writer lock), so a snapshot always holds a prefix of the log.
    pg::Transaction snapshot(*conn, pg::Transaction::Kind::snapshot_read);
    // The byte bound is applied by the database (a running sum), so that a
    // page of large envelopes never reaches this process whole: the rows up
    // to and including the one that passes `soft_bytes`, one at least.
    const auto r = conn->query(
        "SELECT server_seq, envelope FROM (SELECT server_seq, envelope, "
        "sum(octet_length(envelope)) OVER (ORDER BY server_seq) - octet_length(envelope) AS before "
        "FROM (SELECT server_seq, envelope FROM log WHERE site = $1 AND server_seq > $2 AND origin <> $3 "
        "ORDER BY server_seq LIMIT $4) page) counted WHERE before < GREATEST($5::bigint, 1) ORDER BY server_seq",
        pg::Params()
            .text(site)
            .integer(static_cast<std::int64_t>(since))
            .text(skip_origin)
            .integer(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)))
            .integer(static_cast<std::int64_t>(std::min<std::size_t>(soft_bytes, INT64_MAX))));
    for (int i = 0; i < r.rows(); ++i) {
        LogEntry e{static_cast<std::uint64_t>(r.integer(i, 0)), r.text(i, 1)};
        page.next = e.server_seq;
        page.entries.push_back(std::move(e));
    }
    // Whether the site has more for the caller after this page, in the same snapshot.
    page.more = !page.entries.empty() &&
                !conn->query("SELECT 1 FROM log WHERE site = $1 AND server_seq > $2 AND origin <> $3 LIMIT 1",
                             pg::Params().text(site).integer(static_cast<std::int64_t>(page.next)).text(skip_origin))
                     .empty();
    if (!page.more) {
        // Everything of the site in this snapshot was looked at, the caller's
        // own changes included: the cursor moves past them too.
        const auto last = conn->query("SELECT MAX(server_seq) FROM log WHERE site = $1 AND server_seq > $2",
                                      pg::Params().text(site).integer(static_cast<std::int64_t>(since)));
        if (!last.is_null(0, 0)) page.next = std::max(page.next, static_cast<std::uint64_t>(last.integer(0, 0)));
    }
    return page;
}

std::vector<std::string> PostgresStore::introductions(std::string_view site) {
    auto conn = pool_.acquire();
    const auto r = conn->query("SELECT json FROM introductions WHERE site = $1 ORDER BY replica", pg::Params().text(site));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
}

LogSummary PostgresStore::summary() {
    auto conn = pool_.acquire();
    return log_tip(*conn);
}

}  // namespace kim::server
