// What an attacker with write access to the server's SQLite file can do to
// the log behind kim-server's back: the tamper tests of the audit use it on
// a stopped server's store, then run the real `kim-audit verify`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/bytes.hpp"
#include "kim/shared/change.hpp"

struct sqlite3;

namespace kim::test {

struct StoredLogRow {
    std::uint64_t server_seq = 0;
    std::string origin;
    std::uint64_t seq = 0;
    std::string record;
    std::string kind;
    nlohmann::json envelope;
};

class StoreSurgery {
public:
    // Opens `data_dir`/server.db and drops every trigger, as an attacker would.
    explicit StoreSurgery(const std::filesystem::path& data_dir);
    ~StoreSurgery();
    StoreSurgery(const StoreSurgery&) = delete;
    StoreSurgery& operator=(const StoreSurgery&) = delete;

    std::vector<StoredLogRow> log();
    StoredLogRow row(std::uint64_t server_seq);
    // The first stored change of `origin` with a ciphertext (for the named field, if given).
    StoredLogRow first_with_ciphertext(const std::string& origin, const std::string& field = "");

    void set_envelope(std::uint64_t server_seq, const nlohmann::json& envelope);
    void delete_change(std::uint64_t server_seq);
    // Swaps the places of two rows in the log (their server_seq), nothing else.
    void swap(std::uint64_t a, std::uint64_t b);
    // Appends `change` at the end with a correctly computed chain, as a
    // server whose owner forged it would.
    void append(const Change& change);
    // Recomputes every chain value and re-signs every checkpoint with the
    // server's own key (read from the store): a rewritten history that is
    // consistent in itself, as a fresh store with the same keys would hold.
    void rechain_and_resign();
    void flip_checkpoint_signature(std::uint64_t server_seq);

    // The server's Ed25519 secret, as the store keeps it.
    crypto::SigningSecret server_key();
    void exec(const std::string& sql);

private:
    sqlite3* db_ = nullptr;
};

}  // namespace kim::test
