// A thin C++ face on libpq: one connection, statements prepared once per
// connection and run with bound parameters, results read by row and column,
// transactions that roll back unless committed. Errors become kim errors
// whose messages never hold the connection's password.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kim/shared/bytes.hpp"

namespace kim::server::pg {

// Sequence numbers are unsigned in kimsync and BIGINT in the schema (they stay far below 2^63).
inline std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// The parameters of one statement, sent as text, or as binary for bytea.
class Params {
public:
    Params& text(std::string_view value);
    Params& integer(std::int64_t value);
    Params& bytes(std::span<const std::uint8_t> value);
    Params& null();

    int size() const { return static_cast<int>(values_.size()); }
    // Taken afresh on each call: a copied or moved Params points at its own strings.
    const char* const* values() const;
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

private:
    void add(std::string value, int format, bool is_null);

    std::vector<std::string> values_;
    std::vector<bool> null_;
    mutable std::vector<const char*> pointers_;
    std::vector<int> lengths_, formats_;
};

// A statement's result, in text form.
class Result {
public:
    explicit Result(PGresult* result) : result_(result, &PQclear) {}

    int rows() const { return PQntuples(result_.get()); }
    int columns() const { return PQnfields(result_.get()); }
    bool empty() const { return rows() == 0; }
    // Rows the statement inserted, updated or deleted.
    std::uint64_t affected() const;
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string text(int row, int column) const;
    std::int64_t integer(int row, int column) const;
    // A bytea column (hex text form); IntegrityError naming `what` when malformed.
    Bytes bytes(int row, int column, std::string_view what) const;
    // A bytea column of exactly 32 bytes.
    Hash32 hash(int row, int column, std::string_view what) const;

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class Connection {
public:
    // Connects with a postgresql:// URI (InputError, without libpq's words,
    // which may quote the password, when it is malformed). BusyError (HTTP
    // 503) when the database cannot be reached: a client retries later.
    explicit Connection(const std::string& conninfo);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // A statement without parameters (BEGIN, DDL, a script of several).
    void exec(std::string_view sql);
    // A statement with parameters, prepared on first use on this connection.
    Result query(const std::string& sql, const Params& params = {});
    // The same, planned for this one run: for statements built per request,
    // which would fill the connection with prepared statements.
    Result query_once(const std::string& sql, const Params& params);
    // Whether the connection still works (a failed-over primary breaks it).
    bool healthy() const { return PQstatus(conn_) == CONNECTION_OK && !broken_; }
    // Healthy and outside any transaction: fit to go back to a pool.
    bool reusable() const { return healthy() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }
    // Whether an idle connection is still open: the database says so when it
    // ends a session (a restart, a failover, pg_terminate_backend), which is
    // seen here without a round trip. False when it has ended.
    bool still_open();

private:
    [[noreturn]] void fail(PGresult* result, std::string_view sql);

    PGconn* conn_ = nullptr;
    std::map<std::string, std::string, std::less<>> prepared_;  // SQL text -> statement name
    bool broken_ = false;
};

// A transaction on one connection: rolled back when destroyed without commit().
class Transaction {
public:
    enum class Kind { read_write, snapshot_read };
    explicit Transaction(Connection& conn, Kind kind = Kind::read_write);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Connection& conn_;
    bool open_ = true;
};

// The location without its password, for messages and logs.
std::string redacted(std::string_view conninfo);

}  // namespace kim::server::pg
