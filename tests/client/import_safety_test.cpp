// Change files made hostile in the ways a reviewer found: ciphertexts
// stripped, signatures swapped on changes already held, clocks far ahead,
// forked chains. None may lose data or let a bad change in.
#include <gtest/gtest.h>

#include "kim/client/replica.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "replica_fixture.hpp"
#include "temp_dir.hpp"

using kim::client::Replica;
using kim::test::TempDir;
using nlohmann::json;

namespace {

json& op_of(json& change, std::string_view field) {
    for (auto& op : change["ops"]) {
        if (op["field"] == field) return op;
    }
    throw std::runtime_error("no op " + std::string(field));
}

json& change_in(json& file, std::string_view origin, std::uint64_t seq) {
    for (auto& c : file["changes"]) {
        if (c["origin"] == origin && c["seq"] == seq) return c;
    }
    throw std::runtime_error("no change");
}

class import_safety : public ::testing::Test {
protected:
    TempDir dir{"kim-import-safety"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
};

}  // namespace

TEST_F(import_safety, a_copy_without_ciphertext_is_completed_by_an_intact_copy) {
    const std::string id = a.create_case({{"name", "Amira Haddad"}});
    const json intact = a.export_changes();
    json stripped = intact;
    op_of(change_in(stripped, "hamborn-a", 1), "name").erase("ct");

    b.import_changes(stripped);
    const auto view = b.read(id);
    const auto* name = view.field("name");
    ASSERT_NE(name, nullptr);
    EXPECT_FALSE(name->shown.readable) << "a value whose ciphertext is missing is not shown";
    EXPECT_NE(name->shown.unreadable_reason.find("hamborn-a"), std::string::npos) << name->shown.unreadable_reason;

    const auto report = b.import_changes(intact);
    EXPECT_EQ(report.duplicates, 1u);
    EXPECT_EQ(kim::test::shown(b, id, "name"), "Amira Haddad") << "the intact copy restores the ciphertext";
    EXPECT_EQ(b.state_digest(), a.state_digest());
}

TEST_F(import_safety, a_stripped_case_key_is_restored_too) {
    const std::string id = a.create_case({{"name", "Ömer Kaya"}});
    json stripped = a.export_changes();
    op_of(change_in(stripped, "hamborn-a", 1), "_key").erase("ct");
    b.import_changes(stripped);
    EXPECT_FALSE(b.read(id).field("name")->shown.readable);
    b.import_changes(a.export_changes());
    EXPECT_EQ(kim::test::shown(b, id, "name"), "Ömer Kaya");
}

TEST_F(import_safety, another_signature_on_a_held_change_is_refused) {
    a.create_case({{"name", "Lina"}});
    const json good = a.export_changes();
    b.import_changes(good);
    const std::string digest = b.state_digest();
    json forged = good;
    auto& c = change_in(forged, "hamborn-a", 1);
    c["sig"] = kim::test::flip_base64(c["sig"].get<std::string>(), 10);
    try {
        b.import_changes(forged);
        FAIL() << "a bad signature on a change already held was accepted";
    } catch (const kim::IntegrityError& e) {
        EXPECT_NE(std::string(e.what()).find("signature"), std::string::npos) << e.what();
    }
    EXPECT_EQ(b.state_digest(), digest);
}

TEST_F(import_safety, a_change_dated_beyond_the_allowed_skew_is_refused) {
    TempDir fast_dir{"kim-import-fast"};
    // A third replica whose wall clock runs a day ahead.
    Replica c_setup = kim::test::join_replica(a, fast_dir / "c", "hamborn-c");
    c_setup.import_changes(a.export_changes());
    constexpr std::uint64_t day = 24ull * 3600 * 1000;
    Replica c = Replica::open(fast_dir / "c", kim::test::passphrase, [] { return kim::system_millis() + day; });
    c.create_case({{"name", "Zeitreise"}});
    const std::string digest = b.state_digest();
    try {
        b.import_changes(c.export_changes());
        FAIL() << "a change a day ahead was accepted";
    } catch (const kim::IntegrityError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("ahead"), std::string::npos) << msg;
        EXPECT_NE(msg.find("hamborn-c"), std::string::npos) << msg;
    }
    EXPECT_EQ(b.state_digest(), digest);
}

TEST_F(import_safety, a_change_within_the_skew_is_accepted) {
    TempDir dir2{"kim-import-skew"};
    Replica c_setup = kim::test::join_replica(a, dir2 / "c", "hamborn-c");
    constexpr std::uint64_t ahead = kim::max_clock_skew_millis / 2;
    Replica c = Replica::open(dir2 / "c", kim::test::passphrase, [] { return kim::system_millis() + ahead; });
    const std::string id = c.create_case({{"name", "Knapp"}});
    b.import_changes(c.export_changes());
    EXPECT_EQ(kim::test::shown(b, id, "name"), "Knapp");
}

TEST_F(import_safety, a_forked_origin_loses_its_whole_waiting_tail) {
    // b2 is a copy of b's folder that goes on writing under b's id (a
    // restored backup): the two chains fork after b's first change.
    const std::string id = a.create_case({{"name", "Fork"}});
    b.import_changes(a.export_changes());
    b.set_fields(id, {{"need.wohnen", "1"}});
    TempDir copy_dir{"kim-import-fork"};
    std::filesystem::copy(dir / "b", copy_dir / "b", std::filesystem::copy_options::recursive);
    Replica b2 = Replica::open(copy_dir / "b", kim::test::passphrase);
    b.set_fields(id, {{"need.arbeit", "2"}});       // hamborn-b:2 on the real chain
    b2.set_fields(id, {{"need.kita", "1"}});        // hamborn-b:2 on the fork
    b2.set_fields(id, {{"need.schule", "1"}});      // hamborn-b:3 on the fork

    // a receives the fork's seq 3 first (waits for its gap), then the real chain.
    a.import_changes(kim::test::filter_changes(b2.export_changes(), [](const json& c) {
        return c["origin"] == "hamborn-b" && c["seq"] == 3;
    }));
    EXPECT_EQ(a.status().waiting_changes, 1u);
    const auto report = a.import_changes(b.export_changes());
    EXPECT_EQ(a.status().waiting_changes, 0u) << "the forked tail is dropped, not kept forever";
    ASSERT_FALSE(report.notes.empty());
    EXPECT_NE(report.notes.front().find("forked"), std::string::npos) << report.notes.front();
    EXPECT_EQ(kim::test::shown(a, id, "need.arbeit"), "2");
    EXPECT_EQ(a.read(id).field("need.schule"), nullptr);
    // The fork's own file is refused whole, naming the cause.
    try {
        a.import_changes(b2.export_changes());
        FAIL() << "a forked chain was accepted";
    } catch (const kim::IntegrityError& e) {
        EXPECT_NE(std::string(e.what()).find("kim init --replica"), std::string::npos) << e.what();
    }
}

TEST_F(import_safety, joining_under_a_replica_id_in_use_is_refused) {
    TempDir other{"kim-import-join"};
    auto options = kim::test::create_options(other / "x", "hamborn", "hamborn-a");
    options.join_bundle = a.export_site_key(kim::test::bundle_passphrase, kim::KdfParams::minimal());
    options.bundle_passphrase = kim::test::bundle_passphrase;
    try {
        Replica::create(options);
        FAIL() << "a second hamborn-a was created";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("already used"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(other / "x" / "replica.db"));
}
