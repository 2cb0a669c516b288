// A small RAII layer over the SQLite C API: connection, statements, transactions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kim/shared/bytes.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kim::sqlite {

// Not thread-safe: one Database per thread (SQLite's own locking guards the file).
class Database {
public:
    enum class Mode { read_write_create, read_write };
    Database(const std::filesystem::path& file, Mode mode);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);
    int user_version();
    sqlite3* handle() { return db_; }
    std::int64_t changes() const;

    [[noreturn]] void fail(int rc, std::string_view doing) const;

private:
    friend class Statement;
    // Compiling SQL costs more than running the small statements the stores
    // use, many times per change: a Statement takes a compiled one that is
    // idle here and gives it back, reset and without its bindings.
    sqlite3_stmt* take_compiled(std::string_view sql);
    void give_back(std::string_view sql, sqlite3_stmt* stmt);

    sqlite3* db_ = nullptr;
    std::string file_;
    std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
    std::size_t idle_count_ = 0;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    // For SQL built at run time (the statistics' queries): compiled for this
    // use only, so that its many shapes never crowd out the stores' own.
    struct Uncached {};
    Statement(Database& db, std::string_view sql, Uncached);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binding by 1-based position; returns *this so that binds chain.
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::span<const std::uint8_t> blob);
    Statement& bind_null(int index);

    // Advances to the next row; false when done.
    bool step();
    // Runs a statement that returns no rows.
    void run();
    void reset();

    std::string text(int column) const;
    std::int64_t integer(int column) const;
    Bytes blob(int column) const;
    bool is_null(int column) const;
    // The columns of the current row.
    int columns() const;

private:
    Database& db_;
    std::string sql_;  // the text it was compiled from, to give it back under
    bool cached_ = true;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN ... COMMIT, rolled back if not committed (exception safety).
class Transaction {
public:
    // write: BEGIN IMMEDIATE, the write lock at once (no deadlock upgrading
    // later); read: BEGIN, one consistent snapshot that blocks no writer.
    enum class Mode { write, read };
    explicit Transaction(Database& db, Mode mode = Mode::write);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool open_ = true;
};

}  // namespace kim::sqlite
