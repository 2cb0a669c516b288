// Helpers of the server core tests.
#include "server_test_support.hpp"

#include "store/sqlite_store.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/ids.hpp"

namespace kim::test {

std::unique_ptr<server::Store> fresh_store(const TempDir& dir, const server::StoreOptions& options) {
    server::create_sqlite_store(dir / "data");
    return server::open_sqlite_store(dir / "data", options);
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

}  // namespace kim::test
