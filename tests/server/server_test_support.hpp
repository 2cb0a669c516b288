// Helpers of the server core tests: a fresh store in a temporary folder and
// replicas that make real, signed changes (real keys, real ciphertexts).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/caller.hpp"
#include "store/open_store.hpp"
#include "store/store.hpp"
#include "test_postgres.hpp"
#include "temp_dir.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::test {

// The server's clock in these tests: 2026-01-01 00:00 UTC.
inline constexpr std::uint64_t test_now_millis = 1'767'225'600'000;

// Where a new store goes: the folder `dir`/data, or a fresh PostgreSQL
// database when this run tests that store (test_postgres.hpp).
std::string fresh_store_location(const TempDir& dir);
// The location that fresh_store_location last gave for `dir`.
std::string store_location(const TempDir& dir);
// Creates a store there and opens it.
std::unique_ptr<server::Store> fresh_store(const TempDir& dir, const server::StoreOptions& options = {});

// One replica of a site, with its own key and chain.
class TestReplica {
public:
    TestReplica(std::string id, std::string site);

    const std::string& id() const { return id_; }
    const std::string& site() const { return site_; }
    const crypto::PublicKey& public_key() const { return keys_.public_key; }
    const crypto::SigningSecret& secret_key() const { return keys_.secret_key; }

    // The next change of this replica (a case: ops[0] the encrypted name,
    // ops[1] the clear phase), `edit` applied before sealing; the chain does not move.
    Change draft(const std::function<void(Change&)>& edit = {}) const;
    // Takes note that `c` is now the replica's last change.
    void advance(const Change& c);
    // draft + advance.
    Change next_change(const std::function<void(Change&)>& edit = {});
    // `n` consecutive changes.
    std::vector<Change> next_changes(std::size_t n);

    server::EnrolledReplica enrolment() const;
    server::Caller caller() const;
    // An introduction as `kim` makes it (the MAC is random here: the server cannot check it).
    nlohmann::json introduction() const;

private:
    std::string id_;
    std::string site_;
    crypto::SigningKeyPair keys_;
    std::uint64_t seq_ = 0;
    Hash32 prev_{};
};

// A push body with these envelopes (with their ct).
nlohmann::json push_body(const std::vector<Change>& changes);

// Plain SQL on a store behind the server's back, as someone with the file or
// the database's password could: for the tests that damage or inspect a
// store. The statements used are the same in SQLite and PostgreSQL.
class StoreSql {
public:
    explicit StoreSql(const std::string& location);
    ~StoreSql();
    StoreSql(const StoreSql&) = delete;
    StoreSql& operator=(const StoreSql&) = delete;

    void exec(const std::string& sql);
    // An expression giving a blob column as lowercase hex.
    std::string hex(const std::string& column) const;
    // Every row, each column as text ("" for NULL).
    std::vector<std::vector<std::string>> rows(const std::string& sql);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kim::test
