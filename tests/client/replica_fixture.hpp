// Shared helpers of the client tests: replicas of one site made quickly
// (minimal Argon2id cost, folders on tmpfs), exchanges between them, change
// file surgery and direct access to a replica's SQLite file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/client/replica.hpp"
#include "kim/shared/bytes.hpp"
#include "server_process.hpp"

struct sqlite3;

namespace kim::test {

inline constexpr const char* passphrase = "correct horse battery staple";
inline constexpr const char* bundle_passphrase = "bundle passphrase for tests";

// Options for a new replica with the minimal key derivation cost.
client::CreateOptions create_options(const std::filesystem::path& home, const std::string& site, const std::string& replica);
// Creates a replica of a new site in `home` and opens it.
client::Replica make_replica(const std::filesystem::path& home, const std::string& site, const std::string& replica);
// Creates a second replica of `existing`'s site (joined with its key bundle) and opens it.
client::Replica join_replica(client::Replica& existing, const std::filesystem::path& home, const std::string& replica);
// make_replica / join_replica, then enrolled on `server` (kim-server replica add).
client::Replica make_enrolled_replica(const ServerProcess& server, const std::filesystem::path& home,
                                      const std::string& site, const std::string& replica);
client::Replica join_enrolled_replica(const ServerProcess& server, client::Replica& existing,
                                      const std::filesystem::path& home, const std::string& replica);

// Every replica imports the full export of every other, `rounds` times.
void sync_all(const std::vector<client::Replica*>& replicas, int rounds = 2);

// The displayed value of a field; fails the test (throws) when the field is absent.
std::string shown(const client::RecordView& view, std::string_view field);
std::string shown(client::Replica& replica, std::string_view record, std::string_view field);

// The origin (replica) part of a change id "origin:seq".
inline std::string origin_of(const std::string& change) { return change.substr(0, change.find(':')); }

// A change file keeping only the changes for which `keep` is true.
nlohmann::json filter_changes(const nlohmann::json& file, const std::function<bool(const nlohmann::json&)>& keep);
// The changes of a file made by `origin`, by seq.
nlohmann::json change_of(const nlohmann::json& file, std::string_view origin, std::uint64_t seq);
// Flips one bit of the byte at `index` of a base64 value and re-encodes it.
std::string flip_base64(const std::string& b64, std::size_t index = 0);

// Replica folder contents: every regular file with its bytes.
std::vector<std::pair<std::filesystem::path, std::string>> files_of(const std::filesystem::path& dir);
// Names of the files under `dir` whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::filesystem::path& dir, std::string_view needle);

// Direct access to a replica's SQLite file, behind the library's back.
class SqliteFile {
public:
    explicit SqliteFile(const std::filesystem::path& file);
    ~SqliteFile();
    SqliteFile(const SqliteFile&) = delete;
    SqliteFile& operator=(const SqliteFile&) = delete;

    void exec(const std::string& sql);
    // The integer of the first column of the first row; `params` bind as text.
    std::int64_t scalar(const std::string& sql, const std::vector<std::string>& params = {});

    struct CiphertextRow {
        std::string origin;
        std::int64_t seq = 0;
        std::string field;
        std::string record;
        Bytes ct;
    };
    std::vector<CiphertextRow> ciphertexts();
    void set_ciphertext(const CiphertextRow& row, const Bytes& ct);

private:
    sqlite3* db_ = nullptr;
};

// Ciphertexts stored for the changes of `record`.
std::int64_t ciphertexts_of_record(const std::filesystem::path& home, const std::string& record);

}  // namespace kim::test
