// The embedded default store: creating and opening it, enrolment and reads.
#include "sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <algorithm>

#include "sqlite_schema.hpp"
#include "sqlite_store_impl.hpp"
#include "../enrolment.hpp"
#include "../store_meta.hpp"
#include "sqlite_stats_index.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::server {

namespace fs = std::filesystem;

namespace {

// Idle read connections kept open: about one per HTTP thread.
constexpr std::size_t idle_readers = 16;

std::optional<std::string> meta_get(sqlite::Database& db, std::string_view key) {
    sqlite::Statement st(db, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return st.text(0);
}

void meta_put(sqlite::Database& db, std::string_view key, std::string_view value) {
    sqlite::Statement st(db, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, key).bind(2, value).run();
}

// Creates an empty file readable by the owner only, before SQLite opens it:
// SQLite gives its -wal and -shm files the same mode.
void create_private_file(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw Error("cannot create " + file.string() + ": " + std::strerror(errno) + "; check the folder's permissions");
    }
    ::close(fd);
}

std::optional<crypto::PublicKey> key_column(const sqlite::Statement& st, int column) {
    if (st.is_null(column)) return std::nullopt;
    const Bytes b = st.blob(column);
    crypto::PublicKey k{};
    if (b.size() != k.size()) throw IntegrityError("a stored public key has the wrong size; the server store is damaged");
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

EnrolledReplica replica_from_row(const sqlite::Statement& st) {
    EnrolledReplica r;
    r.id = st.text(0);
    r.site = st.text(1);
    r.public_key = *key_column(st, 2);
    r.enrolled_at = st.integer(3);
    if (!st.is_null(4)) r.revoked_at = st.integer(4);
    return r;
}

constexpr const char* replica_columns = "SELECT id, site, public_key, enrolled_at, revoked_at FROM replicas";

// The enrolment statements on the writer connection (enrolment.hpp).
class SqliteEnrolment final : public EnrolmentTables {
public:
    explicit SqliteEnrolment(sqlite::Database& db) : db_(db) {}

    std::optional<std::optional<std::int64_t>> replica_revoked_at(std::string_view id) override {
        sqlite::Statement st(db_, "SELECT revoked_at FROM replicas WHERE id = ?");
        st.bind(1, id);
        if (!st.step()) return std::nullopt;
        return st.is_null(0) ? std::optional<std::int64_t>() : std::optional<std::int64_t>(st.integer(0));
    }

    bool identity_taken(std::string_view id) override {
        sqlite::Statement st(db_, "SELECT 1 FROM replicas WHERE id = ?1 UNION ALL SELECT 1 FROM users WHERE name = ?1");
        st.bind(1, id);
        return st.step();
    }

    std::optional<std::string> replica_with_key(const crypto::PublicKey& key) override {
        sqlite::Statement st(db_, "SELECT id FROM replicas WHERE public_key = ?");
        st.bind(1, key);
        if (!st.step()) return std::nullopt;
        return st.text(0);
    }

    void insert_replica(const EnrolledReplica& r) override {
        sqlite::Statement st(db_, "INSERT INTO replicas(id, site, public_key, enrolled_at, revoked_at) VALUES(?, ?, ?, ?, ?)");
        st.bind(1, r.id).bind(2, r.site).bind(3, r.public_key).bind(4, r.enrolled_at);
        if (r.revoked_at) {
            st.bind(5, *r.revoked_at);
        } else {
            st.bind_null(5);
        }
        st.run();
    }

    void set_revoked_at(std::string_view id, std::int64_t at) override {
        sqlite::Statement st(db_, "UPDATE replicas SET revoked_at = ? WHERE id = ?");
        st.bind(1, at).bind(2, id).run();
    }

    void insert_user(const User& u) override {
        sqlite::Statement st(db_, "INSERT INTO users(name, role, public_key, password_hash, created_at) VALUES(?, ?, ?, ?, ?)");
        st.bind(1, u.name).bind(2, protocol::to_string(u.role));
        if (u.public_key) {
            st.bind(3, *u.public_key);
        } else {
            st.bind_null(3);
        }
        if (u.password_hash) {
            st.bind(4, *u.password_hash);
        } else {
            st.bind_null(4);
        }
        st.bind(5, u.created_at).run();
    }

private:
    sqlite::Database& db_;
};

}  // namespace

Hash32 hash_column(const sqlite::Statement& st, int column, std::string_view what) {
    const Bytes b = st.blob(column);
    Hash32 h{};
    if (b.size() != h.size()) {
        throw IntegrityError("a stored " + std::string(what) + " has the wrong size; the server store is damaged");
    }
    std::copy(b.begin(), b.end(), h.begin());
    return h;
}

void create_sqlite_store(const fs::path& data_dir) {
    crypto::init();
    const fs::path file = data_dir / server_database_file;
    if (fs::exists(file)) {
        throw StateError("there is already a server store in " + data_dir.string() +
                         "; use it as it is, or choose another folder with --data");
    }
    fs::create_directories(data_dir);
    // The folder holds the server's secrets and every site's ciphertexts: owner only.
    if (::chmod(data_dir.c_str(), 0700) != 0) {
        throw Error("cannot restrict the permissions of " + data_dir.string() + ": " + std::strerror(errno));
    }
    // Built under a temporary name and renamed, so that a failed init leaves no half-made store.
    const fs::path tmp = data_dir / (std::string(server_database_file) + ".creating");
    fs::remove(tmp);
    create_private_file(tmp);
    try {
        sqlite::Database db(tmp, sqlite::Database::Mode::read_write);
        migrate_server_store(db);
        const NewStoreMeta meta(system_seconds());
        sqlite::Transaction tx(db);
        for (const auto& [key, value] : meta.entries()) meta_put(db, key, value);
        tx.commit();
        // Persistent in the file: every later connection uses WAL.
        db.exec("PRAGMA journal_mode = WAL");
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
    fs::rename(tmp, file);
}

std::unique_ptr<Store> open_sqlite_store(const fs::path& data_dir, const StoreOptions& options) {
    crypto::init();
    check_store_options(options);
    const fs::path file = data_dir / server_database_file;
    if (!fs::exists(file)) {
        throw NotFoundError("no server store in " + data_dir.string() + ": create one with `kim-server --data " +
                            data_dir.string() + " init`, or choose another folder with --data / KIM_SERVER_DATA");
    }
    auto writer = std::make_unique<sqlite::Database>(file, sqlite::Database::Mode::read_write);
    migrate_server_store(*writer);
    configure_writer(*writer);
    ServerSecrets secrets =
        load_store_secrets([&](std::string_view key) { return meta_get(*writer, key); }, file.string());
    // Before any push: a store older than the statistics index, or one whose
    // log was changed while the server was stopped, is indexed first.
    catch_up_stats_index(*writer);
    return std::make_unique<SqliteStore>(file, std::move(writer), std::move(secrets), options);
}

SqliteStore::SqliteStore(const fs::path& file, std::unique_ptr<sqlite::Database> writer, ServerSecrets secrets,
                         StoreOptions options)
    : writer_(std::move(writer)), readers_(file, idle_readers), secrets_(std::move(secrets)), options_(options) {}

void SqliteStore::add_replica(const EnrolledReplica& r) {
    std::lock_guard lock(writer_mutex_);
    sqlite::Transaction tx(*writer_);
    SqliteEnrolment tables(*writer_);
    enrol_replica(tables, r);
    tx.commit();
}

void SqliteStore::revoke_replica(std::string_view id, std::int64_t at) {
    std::lock_guard lock(writer_mutex_);
    sqlite::Transaction tx(*writer_);
    SqliteEnrolment tables(*writer_);
    revoke_enrolled_replica(tables, id, at);
    tx.commit();
}

std::vector<EnrolledReplica> SqliteStore::replicas() {
    auto db = readers_.acquire();
    sqlite::Statement st(*db, std::string(replica_columns) + " ORDER BY site, id");
    std::vector<EnrolledReplica> out;
    while (st.step()) out.push_back(replica_from_row(st));
    return out;
}

std::optional<EnrolledReplica> SqliteStore::replica(std::string_view id) {
    auto db = readers_.acquire();
    sqlite::Statement st(*db, std::string(replica_columns) + " WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return replica_from_row(st);
}

void SqliteStore::add_user(const User& u) {
    check_new_user(u);
    std::lock_guard lock(writer_mutex_);
    sqlite::Transaction tx(*writer_);
    SqliteEnrolment tables(*writer_);
    enrol_user(tables, u);
    tx.commit();
}

std::optional<User> SqliteStore::user(std::string_view name) {
    auto db = readers_.acquire();
    sqlite::Statement st(*db, "SELECT name, role, public_key, password_hash, created_at FROM users WHERE name = ?");
    st.bind(1, name);
    if (!st.step()) return std::nullopt;
    User u;
    u.name = st.text(0);
    try {
        u.role = protocol::role_from_string(st.text(1));
    } catch (const InputError&) {
        throw IntegrityError("a stored user has an unknown role; the server store is damaged");
    }
    u.public_key = key_column(st, 2);
    if (!st.is_null(3)) u.password_hash = st.text(3);
    u.created_at = st.integer(4);
    return u;
}

std::unique_ptr<AppendTransaction> SqliteStore::begin_append() {
    return make_sqlite_append_transaction(std::unique_lock(writer_mutex_), *writer_, secrets_,
                                          options_.checkpoint_interval);
}

PullPage SqliteStore::read_site(std::string_view site, std::string_view skip_origin, std::uint64_t since,
                                std::size_t limit, std::size_t soft_bytes) {
    PullPage page;
    page.next = since;
    if (limit == 0) return page;
    auto db = readers_.acquire();
    // One snapshot for both queries: the writer commits whole batches in
    // server order, so a snapshot always holds a prefix of the log.
    ReadSnapshot snapshot(*db);
    sqlite::Statement st(*db,
                         "SELECT server_seq, envelope FROM log WHERE site = ? AND server_seq > ? AND origin <> ? "
                         "ORDER BY server_seq LIMIT ?");
    // One row more than the page holds tells whether more remain.
    const std::size_t rows = std::min<std::size_t>(limit, INT64_MAX - 1) + 1;
    st.bind(1, site).bind(2, static_cast<std::int64_t>(since)).bind(3, skip_origin).bind(4, static_cast<std::int64_t>(rows));
    std::size_t bytes = 0;
    while (st.step()) {
        // The page always holds one entry at least, however large, so that a pull makes progress.
        if (page.entries.size() == limit || (!page.entries.empty() && bytes >= soft_bytes)) {
            page.more = true;
            break;
        }
        LogEntry e{static_cast<std::uint64_t>(st.integer(0)), st.text(1)};
        bytes += e.envelope.size();
        page.next = e.server_seq;
        page.entries.push_back(std::move(e));
    }
    if (!page.more) {
        // Everything of the site in this snapshot was looked at, the caller's
        // own changes included: the cursor moves past them too.
        sqlite::Statement last(*db, "SELECT MAX(server_seq) FROM log WHERE site = ? AND server_seq > ?");
        last.bind(1, site).bind(2, static_cast<std::int64_t>(since));
        if (last.step() && !last.is_null(0)) page.next = std::max(page.next, static_cast<std::uint64_t>(last.integer(0)));
    }
    return page;
}

std::vector<std::string> SqliteStore::introductions(std::string_view site) {
    auto db = readers_.acquire();
    sqlite::Statement st(*db, "SELECT json FROM introductions WHERE site = ? ORDER BY replica");
    st.bind(1, site);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
}

LogSummary SqliteStore::summary() {
    auto db = readers_.acquire();
    sqlite::Statement st(*db, "SELECT server_seq, chain FROM log ORDER BY server_seq DESC LIMIT 1");
    LogSummary s;
    if (st.step()) {
        s.last_seq = static_cast<std::uint64_t>(st.integer(0));
        s.changes = s.last_seq;  // server_seq has no gaps
        s.chain = hash_column(st, 1, "chain hash");
    }
    return s;
}

}  // namespace kim::server
