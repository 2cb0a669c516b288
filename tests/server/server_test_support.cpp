// Helpers of the server core tests.
#include "server_test_support.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "store/open_store.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_postgres.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/ids.hpp"
#include "kim/sqlite/database.hpp"

namespace kim::test {

namespace {

std::mutex locations_mutex;
std::map<std::filesystem::path, std::string> locations;  // TempDir -> its store's location

}  // namespace

std::string fresh_store_location(const TempDir& dir) {
    std::string location = on_postgres() ? fresh_postgres_database() : (dir / "data").string();
    std::lock_guard lock(locations_mutex);
    locations[dir.path()] = location;
    return location;
}

std::string store_location(const TempDir& dir) {
    std::lock_guard lock(locations_mutex);
    const auto it = locations.find(dir.path());
    if (it == locations.end()) throw std::logic_error("no store was made in " + dir.path().string());
    return it->second;
}

std::unique_ptr<server::Store> fresh_store(const TempDir& dir, const server::StoreOptions& options) {
    const std::string location = fresh_store_location(dir);
    server::create_store(location);
    return server::open_store(location, options);
}

TestReplica::TestReplica(std::string id, std::string site)
    : id_(std::move(id)), site_(std::move(site)), keys_((crypto::init(), crypto::generate_signing_key())) {}

Change TestReplica::draft(const std::function<void(Change&)>& edit) const {
    Change c;
    c.origin = id_;
    c.seq = seq_ + 1;
    c.site = site_;
    c.record = random_uuid();
    c.kind = "case";
    // A little in the past of the test clock, later with every change.
    c.hlc = hlc_pack(test_now_millis - 60'000 + c.seq, 0);
    c.prev = prev_;

    FieldOp phase;
    phase.field = "phase";
    phase.value = "intake";
    FieldOp name;
    name.field = "name";
    const Key32 case_key = crypto::random_key();
    name.ct = crypto::aead_encrypt(case_key, as_bytes("Erika Mustermann"),
                                   field_associated_data(c.origin, c.seq, c.record, "name"));
    c.ops = {name, phase};  // sorted by field, as sealing leaves them: edits can index them
    if (edit) edit(c);
    seal_change(c, keys_.secret_key);
    return c;
}

void TestReplica::advance(const Change& c) {
    seq_ = c.seq;
    prev_ = change_hash(c);
}

Change TestReplica::next_change(const std::function<void(Change&)>& edit) {
    Change c = draft(edit);
    advance(c);
    return c;
}

std::vector<Change> TestReplica::next_changes(std::size_t n) {
    std::vector<Change> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(next_change());
    return out;
}

server::EnrolledReplica TestReplica::enrolment() const {
    server::EnrolledReplica r;
    r.id = id_;
    r.site = site_;
    r.public_key = keys_.public_key;
    r.enrolled_at = static_cast<std::int64_t>(test_now_millis / 1000);
    return r;
}

server::Caller TestReplica::caller() const { return {id_, protocol::Role::replica, site_}; }

nlohmann::json TestReplica::introduction() const {
    Hash32 mac{};
    crypto::random_fill(mac);
    return {{"replica", id_}, {"public_key", base64_encode(keys_.public_key)}, {"mac", base64_encode(mac)}};
}

nlohmann::json push_body(const std::vector<Change>& changes) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : changes) list.push_back(change_to_json(c, /*with_ct=*/true));
    return {{"changes", std::move(list)}};
}

struct StoreSql::Impl {
    std::unique_ptr<server::pg::Connection> pg;  // one of the two
    std::unique_ptr<sqlite::Database> sqlite;
};

StoreSql::StoreSql(const std::string& location) : impl_(std::make_unique<Impl>()) {
    if (server::is_postgres_location(location)) {
        impl_->pg = std::make_unique<server::pg::Connection>(location);
    } else {
        impl_->sqlite = std::make_unique<sqlite::Database>(std::filesystem::path(location) / server::server_database_file,
                                                           sqlite::Database::Mode::read_write);
    }
}

StoreSql::~StoreSql() = default;

void StoreSql::exec(const std::string& sql) {
    if (impl_->pg) {
        impl_->pg->exec(sql);
    } else {
        impl_->sqlite->exec(sql);
    }
}

std::string StoreSql::hex(const std::string& column) const {
    return impl_->pg ? "encode(" + column + ", 'hex')" : "lower(hex(" + column + "))";
}

std::vector<std::vector<std::string>> StoreSql::rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    if (impl_->pg) {
        const auto r = impl_->pg->query_once(sql, {});
        for (int i = 0; i < r.rows(); ++i) {
            auto& row = out.emplace_back();
            for (int c = 0; c < r.columns(); ++c) row.push_back(r.is_null(i, c) ? "" : r.text(i, c));
        }
        return out;
    }
    sqlite::Statement st(*impl_->sqlite, sql);
    while (st.step()) {
        auto& row = out.emplace_back();
        for (int c = 0; c < st.columns(); ++c) row.push_back(st.is_null(c) ? "" : st.text(c));
    }
    return out;
}

}  // namespace kim::test
