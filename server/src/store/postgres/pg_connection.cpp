#include "pg_connection.hpp"

#include <charconv>
#include <cstring>

#include "../../auth/auth_errors.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server::pg {

namespace {

std::string field(const PGresult* result, int code) {
    const char* text = PQresultErrorField(result, code);
    return text ? text : "";
}

// The SQLSTATE classes after which the same request may well succeed on a
// retry: the connection or the server went away (a failover among them), a
// standby that does not take writes yet, a serialisation conflict.
bool worth_a_retry(const std::string& state) {
    return state.starts_with("08") || state.starts_with("57P") || state == "40001" || state == "40P01" ||
           state == "25006" || state == "53300";
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Params& Params::text(std::string_view value) {
    add(std::string(value), 0, false);
    return *this;
}

Params& Params::integer(std::int64_t value) {
    add(std::to_string(value), 0, false);
    return *this;
}

Params& Params::bytes(std::span<const std::uint8_t> value) {
    add(std::string(reinterpret_cast<const char*>(value.data()), value.size()), 1, false);
    return *this;
}

Params& Params::null() {
    add({}, 0, true);
    return *this;
}

void Params::add(std::string value, int format, bool is_null) {
    values_.push_back(std::move(value));
    lengths_.push_back(static_cast<int>(values_.back().size()));
    formats_.push_back(format);
    // The strings may move when the vector grows: the pointers are taken again.
    pointers_.clear();
    for (std::size_t i = 0; i < values_.size(); ++i) pointers_.push_back(values_[i].c_str());
    if (is_null) null_.push_back(values_.size() - 1);
    for (auto i : null_) pointers_[i] = nullptr;
}

std::uint64_t Result::affected() const {
    const char* text = PQcmdTuples(result_.get());
    std::uint64_t n = 0;
    std::from_chars(text, text + std::strlen(text), n);
    return n;
}

std::string Result::text(int row, int column) const {
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::integer(int row, int column) const {
    const char* text = PQgetvalue(result_.get(), row, column);
    std::int64_t v = 0;
    const auto end = text + PQgetlength(result_.get(), row, column);
    if (std::from_chars(text, end, v).ptr != end) {
        throw IntegrityError("PostgreSQL returned a number that is not one; the server store is damaged");
    }
    return v;
}

Bytes Result::bytes(int row, int column, std::string_view what) const {
    const char* text = PQgetvalue(result_.get(), row, column);
    const auto length = static_cast<std::size_t>(PQgetlength(result_.get(), row, column));
    // bytea's text form is "\x" and two hex digits per byte (bytea_output = hex, the default).
    if (length < 2 || text[0] != '\\' || text[1] != 'x' || length % 2 != 0) {
        throw IntegrityError("a stored " + std::string(what) + " is not in bytea's hex form; set bytea_output = hex");
    }
    Bytes out((length - 2) / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(text[2 + 2 * i]);
        const int lo = hex_value(text[3 + 2 * i]);
        if (hi < 0 || lo < 0) throw IntegrityError("a stored " + std::string(what) + " is not valid hex");
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return out;
}

Hash32 Result::hash(int row, int column, std::string_view what) const {
    const Bytes b = bytes(row, column, what);
    Hash32 h{};
    if (b.size() != h.size()) {
        throw IntegrityError("a stored " + std::string(what) + " has the wrong size; the server store is damaged");
    }
    std::copy(b.begin(), b.end(), h.begin());
    return h;
}

Connection::Connection(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        PQfinish(conn_);
        throw BusyError("cannot connect to PostgreSQL at " + redacted(conninfo) + ": " + message +
                        "; check --store and that the database runs and takes connections");
    }
    // Results in the forms Result reads, whatever the server's defaults.
    // (and no NOTICE on stderr for the migration's CREATE ... IF NOT EXISTS).
    exec("SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages = warning");
}

Connection::~Connection() { PQfinish(conn_); }

void Connection::exec(std::string_view sql) {
    const std::string text(sql);
    PGresult* result = PQexec(conn_, text.c_str());
    const auto status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, sql);
    PQclear(result);
}

Result Connection::query(const std::string& sql, const Params& params) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
        const std::string name = "k" + std::to_string(prepared_.size() + 1);
        PGresult* prepared = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
        if (PQresultStatus(prepared) != PGRES_COMMAND_OK) fail(prepared, sql);
        PQclear(prepared);
        it = prepared_.emplace(sql, name).first;
    }
    PGresult* result = PQexecPrepared(conn_, it->second.c_str(), params.size(), params.values(), params.lengths(),
                                      params.formats(), 0);
    const auto status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, sql);
    return Result(result);
}

Result Connection::query_once(const std::string& sql, const Params& params) {
    PGresult* result = PQexecParams(conn_, sql.c_str(), params.size(), nullptr, params.values(), params.lengths(),
                                    params.formats(), 0);
    const auto status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, sql);
    return Result(result);
}

void Connection::fail(PGresult* result, std::string_view sql) {
    const std::string state = result ? field(result, PG_DIAG_SQLSTATE) : "";
    std::string message = result ? field(result, PG_DIAG_MESSAGE_PRIMARY) : "";
    if (message.empty()) message = PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQclear(result);
    if (PQstatus(conn_) != CONNECTION_OK || worth_a_retry(state)) {
        // Dropped from the pool unless only this transaction lost a race: a
        // standby (25006) or a server going down (57P) will not get better
        // on this connection, and a new one may reach the new primary.
        broken_ = broken_ || PQstatus(conn_) != CONNECTION_OK || (state != "40001" && state != "40P01");
        throw BusyError("the database did not complete the request (" + message +
                        "); nothing of it was kept: try again in a moment");
    }
    const std::string what = "PostgreSQL refused a statement (" + std::string(sql.substr(0, 60)) + "...): " + message;
    if (state == "P0001") throw IntegrityError(message);  // the log's and checkpoints' append-only triggers
    if (state.starts_with("23")) throw StateError(what);  // a constraint: a racing writer got there first
    throw Error(what);
}

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
    // A snapshot read sees one state of the whole database for all its
    // statements; a write sees each statement's own latest committed state,
    // which is what a batch needs once it holds the writer lock (writer_lock).
    conn_.exec(kind == Kind::snapshot_read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
}

Transaction::~Transaction() {
    if (!open_ || !conn_.healthy()) return;
    try {
        conn_.exec("ROLLBACK");
    } catch (const Error&) {
        // The connection broke; the server rolls the transaction back itself.
    }
}

void Transaction::commit() {
    conn_.exec("COMMIT");
    open_ = false;
}

std::string redacted(std::string_view conninfo) {
    std::string out(conninfo);
    // URI form: scheme://user:password@host...
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
        const auto at = out.find('@', scheme + 3);
        const auto colon = out.find(':', scheme + 3);
        if (at != std::string::npos && colon != std::string::npos && colon < at) {
            out.replace(colon + 1, at - colon - 1, "***");
        }
    }
    // password=... as a URI parameter or in the key=value form.
    for (auto at = out.find("password="); at != std::string::npos; at = out.find("password=", at + 1)) {
        const auto start = at + 9;
        auto end = out.find_first_of("& ", start);
        if (end == std::string::npos) end = out.size();
        out.replace(start, end - start, "***");
    }
    return out;
}

}  // namespace kim::server::pg
