// Shared helpers of the client tests.
#include "replica_fixture.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

#include "temp_dir.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::test {

namespace fs = std::filesystem;
using nlohmann::json;

client::CreateOptions create_options(const fs::path& home, const std::string& site, const std::string& replica) {
    client::CreateOptions o;
    o.home = home;
    o.site = site;
    o.replica = replica;
    o.passphrase = passphrase;
    o.kdf = KdfParams::minimal();
    return o;
}

client::Replica make_replica(const fs::path& home, const std::string& site, const std::string& replica) {
    client::Replica::create(create_options(home, site, replica));
    return client::Replica::open(home, passphrase);
}

client::Replica join_replica(client::Replica& existing, const fs::path& home, const std::string& replica) {
    client::CreateOptions o = create_options(home, existing.site(), replica);
    o.join_bundle = existing.export_site_key(bundle_passphrase, KdfParams::minimal());
    o.bundle_passphrase = bundle_passphrase;
    client::Replica::create(o);
    return client::Replica::open(home, passphrase);
}

namespace {

void enrol(const ServerProcess& server, const fs::path& home) {
    const auto info = client::Replica::info(home);
    server.enrol_replica(info.replica, info.site, info.public_key);
}

}  // namespace

client::Replica make_enrolled_replica(const ServerProcess& server, const fs::path& home, const std::string& site,
                                      const std::string& replica) {
    client::Replica r = make_replica(home, site, replica);
    enrol(server, home);
    return r;
}

client::Replica join_enrolled_replica(const ServerProcess& server, client::Replica& existing, const fs::path& home,
                                      const std::string& replica) {
    client::Replica r = join_replica(existing, home, replica);
    enrol(server, home);
    return r;
}

void sync_all(const std::vector<client::Replica*>& replicas, int rounds) {
    for (int round = 0; round < rounds; ++round) {
        for (auto* to : replicas) {
            for (auto* from : replicas) {
                if (to != from) to->import_changes(from->export_changes());
            }
        }
    }
}

std::string shown(const client::RecordView& view, std::string_view field) {
    const client::FieldView* f = view.field(field);
    if (!f) throw std::runtime_error("record " + view.id + " has no field '" + std::string(field) + "'");
    return f->shown.value;
}

std::string shown(client::Replica& replica, std::string_view record, std::string_view field) {
    return shown(replica.read(record), field);
}

json filter_changes(const json& file, const std::function<bool(const json&)>& keep) {
    json out = file;
    json kept = json::array();
    for (const auto& c : file.at("changes")) {
        if (keep(c)) kept.push_back(c);
    }
    out["changes"] = std::move(kept);
    return out;
}

json change_of(const json& file, std::string_view origin, std::uint64_t seq) {
    for (const auto& c : file.at("changes")) {
        if (c.at("origin") == origin && c.at("seq") == seq) return c;
    }
    throw std::runtime_error("no change " + std::string(origin) + ":" + std::to_string(seq) + " in the file");
}

std::string flip_base64(const std::string& b64, std::size_t index) {
    auto bytes = base64_decode(b64);
    if (!bytes || bytes->empty()) throw std::runtime_error("not base64: " + b64);
    (*bytes)[index % bytes->size()] ^= 0x01;
    return base64_encode(*bytes);
}

std::vector<std::pair<fs::path, std::string>> files_of(const fs::path& dir) {
    std::vector<std::pair<fs::path, std::string>> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out.emplace_back(e.path(), read_file(e.path()));
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> files_containing(const fs::path& dir, std::string_view needle) {
    std::vector<std::string> out;
    for (const auto& [path, bytes] : files_of(dir)) {
        if (bytes.find(needle) != std::string::npos) out.push_back(path.filename().string());
    }
    return out;
}

SqliteFile::SqliteFile(const fs::path& file) {
    if (!fs::exists(file)) throw std::runtime_error("no database " + file.string());
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("cannot open " + file.string() + ": " + why);
    }
    sqlite3_busy_timeout(db_, 10'000);
}

SqliteFile::~SqliteFile() { sqlite3_close(db_); }

void SqliteFile::exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string why = err ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error("SQL failed: " + sql + ": " + why);
    }
}

namespace {

struct Stmt {
    Stmt(sqlite3* db, const std::string& sql) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            throw std::runtime_error("cannot prepare " + sql + ": " + sqlite3_errmsg(db));
        }
    }
    ~Stmt() { sqlite3_finalize(st); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    sqlite3_stmt* st = nullptr;
};

std::string column_text(sqlite3_stmt* st, int col) {
    const auto* p = sqlite3_column_text(st, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st, col))) : "";
}

}  // namespace

std::int64_t SqliteFile::scalar(const std::string& sql, const std::vector<std::string>& params) {
    Stmt s(db_, sql);
    for (std::size_t i = 0; i < params.size(); ++i) {
        sqlite3_bind_text(s.st, static_cast<int>(i + 1), params[i].c_str(), static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
    }
    if (sqlite3_step(s.st) != SQLITE_ROW) throw std::runtime_error("no row from " + sql);
    return sqlite3_column_int64(s.st, 0);
}

std::vector<SqliteFile::CiphertextRow> SqliteFile::ciphertexts() {
    Stmt s(db_,
           "SELECT ct.origin, ct.seq, ct.field, c.record, ct.ct FROM ciphertexts ct "
           "JOIN changes c ON c.origin = ct.origin AND c.seq = ct.seq ORDER BY ct.origin, ct.seq, ct.field");
    std::vector<CiphertextRow> out;
    while (sqlite3_step(s.st) == SQLITE_ROW) {
        CiphertextRow r;
        r.origin = column_text(s.st, 0);
        r.seq = sqlite3_column_int64(s.st, 1);
        r.field = column_text(s.st, 2);
        r.record = column_text(s.st, 3);
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s.st, 4));
        r.ct.assign(p, p + sqlite3_column_bytes(s.st, 4));
        out.push_back(std::move(r));
    }
    return out;
}

void SqliteFile::set_ciphertext(const CiphertextRow& row, const Bytes& ct) {
    Stmt s(db_, "UPDATE ciphertexts SET ct = ? WHERE origin = ? AND seq = ? AND field = ?");
    sqlite3_bind_blob(s.st, 1, ct.data(), static_cast<int>(ct.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s.st, 2, row.origin.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s.st, 3, row.seq);
    sqlite3_bind_text(s.st, 4, row.field.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s.st) != SQLITE_DONE || sqlite3_changes(db_) != 1) {
        throw std::runtime_error("cannot update the ciphertext of " + row.origin + ":" + std::to_string(row.seq) + "/" + row.field);
    }
}

std::int64_t ciphertexts_of_record(const fs::path& home, const std::string& record) {
    SqliteFile db(home / client::Replica::database_file);
    return db.scalar(
        "SELECT COUNT(*) FROM ciphertexts ct JOIN changes c ON c.origin = ct.origin AND c.seq = ct.seq WHERE c.record = ?",
        {record});
}

}  // namespace kim::test
