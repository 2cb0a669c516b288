// SQLite calls behind kim::sqlite; every failure becomes an exception with SQLite's reason.
#include "kim/sqlite/database.hpp"

#include <sqlite3.h>

#include <new>

#include "kim/shared/errors.hpp"

namespace kim::sqlite {

namespace {

// SQLite's memory statistics take a global mutex on every allocation, and
// nothing here reads them. sqlite3_config works only before SQLite's first
// use in the process; later (another library opened a database first) it
// refuses, and the statistics simply stay on.
void configure_sqlite_once() {
    static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    static_cast<void>(configured);
}

}  // namespace

Database::Database(const std::filesystem::path& file, Mode mode) : file_(file.string()) {
    configure_sqlite_once();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                      (mode == Mode::read_write_create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(file_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error("cannot open the database " + file_ + ": " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Another `kim` process may hold the write lock briefly; wait instead of failing.
    sqlite3_busy_timeout(db_, 10'000);
}

Database::~Database() {
    for (auto& [sql, stmts] : idle_) {
        for (auto* stmt : stmts) sqlite3_finalize(stmt);
    }
    if (db_) sqlite3_close_v2(db_);
}

namespace {
// More than the stores' literal statements; beyond it a statement given back
// is dropped (SQL built at run time is never kept: Statement::Uncached).
constexpr std::size_t max_idle_statements = 256;
}  // namespace

sqlite3_stmt* Database::take_compiled(std::string_view sql) {
    if (auto it = idle_.find(std::string(sql)); it != idle_.end() && !it->second.empty()) {
        sqlite3_stmt* stmt = it->second.back();
        it->second.pop_back();
        --idle_count_;
        return stmt;
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        fail(rc, "preparing a statement");
    }
    return stmt;
}

void Database::give_back(std::string_view sql, sqlite3_stmt* stmt) {
    // Reset: no read transaction stays open; cleared: no value stays bound.
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (idle_count_ >= max_idle_statements) {
        sqlite3_finalize(stmt);
        return;
    }
    idle_[std::string(sql)].push_back(stmt);
    ++idle_count_;
}

void Database::fail(int rc, std::string_view doing) const {
    std::string msg = "database error while " + std::string(doing) + " (" + file_ + "): " + sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
        throw IntegrityError(msg + ". The database file is damaged; restore it from a backup (for a replica, or set the replica up again).");
    }
    if ((rc & 0xff) == SQLITE_FULL) throw Error(msg + ". Free some disk space and try again.");
    throw Error(msg);
}

void Database::exec(std::string_view sql) {
    char* err = nullptr;
    const std::string s(sql);
    const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        sqlite3_free(err);
        fail(rc, "running SQL");
    }
}

int Database::user_version() {
    Statement st(*this, "PRAGMA user_version");
    st.step();
    return static_cast<int>(st.integer(0));
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Database& db, std::string_view sql) : db_(db), sql_(sql), stmt_(db.take_compiled(sql)) {}

Statement::Statement(Database& db, std::string_view sql, Uncached) : db_(db), cached_(false) {
    const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt_);
        db.fail(rc, "preparing a statement");
    }
}

Statement::~Statement() {
    if (!stmt_) return;
    if (!cached_) {
        sqlite3_finalize(stmt_);
        return;
    }
    try {
        db_.give_back(sql_, stmt_);
    } catch (const std::bad_alloc&) {
        sqlite3_finalize(stmt_);  // not kept, and nothing lost
    }
}

Statement& Statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
    return *this;
}

Statement& Statement::bind(int index, std::span<const std::uint8_t> blob) {
    const int rc = sqlite3_bind_blob(stmt_, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
    return *this;
}

Statement& Statement::bind_null(int index) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_.fail(rc, "running a statement");
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

Bytes Statement::blob(int column) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
    const int n = sqlite3_column_bytes(stmt_, column);
    return p ? Bytes(p, p + n) : Bytes();
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int Statement::columns() const { return sqlite3_column_count(stmt_); }

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
    db_.exec(mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace kim::sqlite
