#include "test_postgres.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

namespace kim::test {

std::vector<std::vector<std::string>> postgres_rows(const std::string& uri, const std::string& sql) {
    PGconn* conn = PQconnectdb(uri.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        const std::string message = PQerrorMessage(conn);
        PQfinish(conn);
        throw std::runtime_error("cannot reach the test cluster " + uri + ": " + message);
    }
    PGresult* result = PQexec(conn, sql.c_str());
    const auto status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        const std::string message = PQerrorMessage(conn);
        PQclear(result);
        PQfinish(conn);
        throw std::runtime_error(sql + " failed on the test cluster: " + message);
    }
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(result); ++i) {
        auto& row = rows.emplace_back();
        for (int c = 0; c < PQnfields(result); ++c) row.emplace_back(PQgetisnull(result, i, c) ? "" : PQgetvalue(result, i, c));
    }
    PQclear(result);
    PQfinish(conn);
    return rows;
}

namespace {

// The databases this process made, dropped at exit (FORCE ends the
// connections a test left open, a killed server's among them).
class Databases {
public:
    ~Databases() {
        for (const auto& name : names_) {
            try {
                postgres_rows(*test_postgres() + "/postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (const std::exception&) {
                // The cluster is thrown away after the run anyway.
            }
        }
    }
    void add(const std::string& name) {
        std::lock_guard lock(mutex_);
        names_.push_back(name);
    }

private:
    std::mutex mutex_;
    std::vector<std::string> names_;
};

Databases& databases() {
    static Databases all;
    return all;
}

}  // namespace

std::optional<std::string> test_postgres() {
    const char* store = std::getenv("KIM_TEST_STORE");
    if (!store || std::string(store) != "postgres") return std::nullopt;
    const char* uri = std::getenv("KIM_TEST_POSTGRES");
    if (!uri || !*uri) {
        throw std::runtime_error("this test runs on PostgreSQL (KIM_TEST_STORE=postgres) but KIM_TEST_POSTGRES names no "
                                 "cluster: run it through scripts/test, which starts one, or leave it out with "
                                 "ctest -LE postgres");
    }
    return std::string(uri);
}

std::string fresh_postgres_database() {
    const auto cluster = test_postgres();
    if (!cluster) throw std::logic_error("fresh_postgres_database: KIM_TEST_POSTGRES is not set");
    static std::atomic<int> counter{0};
    // The pid and a random part: a process that died before dropping its
    // databases leaves names that a later process with its pid must not hit.
    static const unsigned salt = std::random_device{}();
    const std::string name =
        "kim_test_" + std::to_string(::getpid()) + "_" + std::to_string(salt % 100000) + "_" + std::to_string(++counter);
    databases();  // made before the first database, so destroyed after every user of one
    postgres_rows(*cluster + "/postgres", "CREATE DATABASE " + name);
    databases().add(name);
    return *cluster + "/" + name;
}

}  // namespace kim::test
