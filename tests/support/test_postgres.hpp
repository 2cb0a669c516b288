// The PostgreSQL cluster that the store and integration suites run on in
// their second pass (scripts/test starts a throwaway cluster; docs/reliability.md).
// $KIM_TEST_POSTGRES is its URI without a database, e.g. postgresql://kim@127.0.0.1:54329.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kim::test {

// The cluster's URI, when this run tests the PostgreSQL store: the tests
// registered a second time for it (ctest label `postgres`) run with
// KIM_TEST_STORE=postgres, and the cluster's URI in $KIM_TEST_POSTGRES.
// Throws when the first is set without the second: start a cluster with
// scripts/test, or leave those tests out (ctest -LE postgres).
std::optional<std::string> test_postgres();
inline bool on_postgres() { return test_postgres().has_value(); }

// A new, empty database on that cluster, and its URI. Every database made
// this way is dropped when the process exits.
std::string fresh_postgres_database();

// Runs one query on a database of the cluster; every row, columns as text
// ("" for NULL). Throws with PostgreSQL's words when it fails.
std::vector<std::vector<std::string>> postgres_rows(const std::string& uri, const std::string& sql);

}  // namespace kim::test

// Leaves a test out when it works on the SQLite file itself (surgery behind
// the server's back); its PostgreSQL counterpart, if any, says so.
#define KIM_SQLITE_ONLY(why)                                                        \
    do {                                                                            \
        if (::kim::test::on_postgres()) GTEST_SKIP() << "SQLite file only: " << why; \
    } while (0)
