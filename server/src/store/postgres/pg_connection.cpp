#include "pg_connection.hpp"

#include <poll.h>

#include <charconv>
#include <cstring>
#include <iostream>
#include <system_error>

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
// standby that does not take writes yet, a serialisation conflict, too many
// connections, a lock or statement that timed out.
bool worth_a_retry(const std::string& state) {
    return state.starts_with("08") || state.starts_with("57P") || state == "40001" || state == "40P01" ||
           state == "25006" || state == "53300" || state == "55P03" || state == "57014";
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
    null_.push_back(is_null);
    lengths_.push_back(static_cast<int>(values_.back().size()));
    formats_.push_back(format);
}

const char* const* Params::values() const {
    pointers_.clear();
    for (std::size_t i = 0; i < values_.size(); ++i) pointers_.push_back(null_[i] ? nullptr : values_[i].c_str());
    return pointers_.data();
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
    const auto [ptr, ec] = std::from_chars(text, end, v);
    if (is_null(row, column) || text == end || ec != std::errc() || ptr != end) {
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
    // Checked first: libpq's own message for a malformed URI quotes the
    // offending part, which may be the password.
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
    PQfreemem(parse_error);
    if (!parsed) {
        throw InputError("--store: not a valid PostgreSQL URI; write it as postgresql://USER@HOST:PORT/DATABASE"
                         "[?PARAMETER=VALUE&...], with the password in ~/.pgpass or $PGPASSWORD");
    }
    PQconninfoFree(parsed);
    // Our defaults first, the URI last: what the URI sets wins. Keepalives
    // notice a dead peer in about a minute instead of two hours, so that a
    // server does not wait for ever on a database that is gone.
    const char* keywords[] = {"application_name", "keepalives", "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "dbname", nullptr};
    const char* values[] = {"kim-server", "1", "30", "10", "3", conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        PQfinish(conn_);
        throw BusyError("cannot connect to PostgreSQL at " + redacted(conninfo) + ": " + message +
                        "; check --store and that the database runs and takes connections");
    }
    // No NOTICE or WARNING from the server on our stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    try {
        // Results in the forms Result reads, whatever the server's defaults.
        // Every write transaction relies on READ COMMITTED (decision 119);
        // a session that waits long for the writer lock, or sits idle inside
        // a transaction (a stalled server), gives up rather than stopping
        // every other server's pushes.
        exec("SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
             "SET client_min_messages = warning; SET default_transaction_isolation = 'read committed'; "
             "SET lock_timeout = '60s'; SET idle_in_transaction_session_timeout = '120s'");
    } catch (...) {
        PQfinish(conn_);
        throw;
    }
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::still_open() {
    pollfd ready{PQsocket(conn_), POLLIN, 0};
    // An idle connection has nothing to read (no LISTEN, no notices below
    // a warning) unless the server is ending the session: then it has sent
    // its last message, or closed. Such a connection is not used again.
    if (ready.fd < 0 || ::poll(&ready, 1, 0) != 0) broken_ = true;
    return healthy();
}

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
        // Dropped from the pool unless only this transaction lost a race or
        // waited too long: a standby (25006) or a server going down (57P)
        // will not get better on this connection, and a new one may reach
        // the new primary.
        broken_ = broken_ || PQstatus(conn_) != CONNECTION_OK ||
                  (state != "40001" && state != "40P01" && state != "55P03" && state != "57014");
        // The details are for the server's log, not for the client that
        // gets this message (host, port and database stay inside).
        std::cerr << "kim-server: the database did not complete a statement (SQLSTATE " << (state.empty() ? "-" : state)
                  << "): " << message << std::endl;
        throw BusyError("the server's database did not answer in time or is unavailable; nothing was acknowledged: "
                        "try again in a moment");
    }
    if (state == "P0001") throw IntegrityError(message);  // the log's and checkpoints' append-only triggers
    // A constraint: a racing writer got there first.
    if (state.starts_with("23")) throw StateError("the store refused the write (" + message + "); try again");
    throw Error("PostgreSQL refused a statement (" + std::string(sql.substr(0, 60)) + "...): " + message);
}

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
    // A snapshot read sees one state of the whole database for all its
    // statements; a write sees each statement's own latest committed state,
    // which is what a batch needs once it holds the writer lock (writer_lock).
    conn_.exec(kind == Kind::snapshot_read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                           : "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE");
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
    // Whatever COMMIT answers, there is no transaction left to roll back.
    open_ = false;
    conn_.exec("COMMIT");
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
