// Exchange by file: what a change file must be, and whose changes a replica takes.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <string>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::client::Replica;
using kim::test::TempDir;
using nlohmann::json;

class exchange : public ::testing::Test {
protected:
    // a refuses `file` with exception type E naming `reason`, and is unchanged.
    template <typename E>
    void expect_refused(const json& file, const std::string& reason) {
        const std::string digest = a.state_digest();
        const json before = a.export_changes();
        try {
            a.import_changes(file);
            ADD_FAILURE() << "accepted: " << reason;
        } catch (const E& e) {
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        } catch (const kim::Error& e) {
            ADD_FAILURE() << "refused with the wrong kind of error: " << e.what();
        }
        EXPECT_EQ(a.state_digest(), digest);
        EXPECT_EQ(a.export_changes(), before);
    }

    TempDir dir{"kim-exchange"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
};

TEST_F(exchange, a_change_file_names_its_format_site_and_makers) {
    const std::string id = a.create_case({{"name", "Amina"}});
    const json f = a.export_changes();
    EXPECT_EQ(f["format"], "kimsync-changes");
    EXPECT_EQ(f["version"], 1);
    EXPECT_EQ(f["site"], "hamborn");
    EXPECT_EQ(f["exported_by"], "hamborn-a");
    ASSERT_EQ(f["introductions"].size(), 1u);
    EXPECT_EQ(f["introductions"][0]["replica"], "hamborn-a");
    EXPECT_EQ(f["introductions"][0]["public_key"], a.status().public_key);
    ASSERT_EQ(f["changes"].size(), 1u);
    EXPECT_EQ(f["changes"][0]["record"], id);
    EXPECT_EQ(f["changes"][0]["origin"], "hamborn-a");
    EXPECT_EQ(f["changes"][0]["seq"], 1);

    // The first import introduces a to b and applies its change.
    const auto report = b.import_changes(f);
    EXPECT_EQ(report.introduced, 1u);
    EXPECT_EQ(report.applied, 1u);
    EXPECT_EQ(b.status().peers, (std::vector<std::string>{"hamborn-a", "hamborn-b"}));
    EXPECT_EQ(kim::test::shown(b, id, "name"), "Amina");
    // A file survives a round trip through text.
    b.set_fields(id, {{"phase", "planning"}});
    a.import_changes(json::parse(b.export_changes().dump(2)));
    EXPECT_EQ(a.state_digest(), b.state_digest());
}

TEST_F(exchange, a_file_of_another_site_is_refused) {
    TempDir other{"kim-exchange-h"};
    Replica h = kim::test::make_replica(other / "h", "hochfeld", "hochfeld-a");
    h.create_case({{"name", "elsewhere"}});
    a.create_case({{"name", "here"}});
    expect_refused<kim::InputError>(h.export_changes(), "hochfeld");
    // Even an empty one: introductions of another site are not taken.
    TempDir other2{"kim-exchange-h2"};
    Replica h2 = kim::test::make_replica(other2 / "h", "hochfeld", "hochfeld-b");
    expect_refused<kim::InputError>(h2.export_changes(), "hochfeld");
    // And the other way round.
    EXPECT_THROW(h.import_changes(a.export_changes()), kim::InputError);
}

TEST_F(exchange, a_change_from_an_unintroduced_replica_is_refused) {
    const std::string id = b.create_case({{"name", "Amina"}});
    const json full = b.export_changes();
    json without = full;
    without["introductions"] = json::array();
    expect_refused<kim::IntegrityError>(without, "not introduced");
    // Only a's own introduction: still not b's.
    without["introductions"] = a.export_changes()["introductions"];
    expect_refused<kim::IntegrityError>(without, "hamborn-b");

    // Once introduced, b's changes are taken without repeating the introduction.
    a.import_changes(kim::test::filter_changes(full, [](const json&) { return false; }));
    EXPECT_EQ(a.status().peers, (std::vector<std::string>{"hamborn-a", "hamborn-b"}));
    const auto report = a.import_changes(without);
    EXPECT_EQ(report.applied, 1u);
    EXPECT_EQ(kim::test::shown(a, id, "name"), "Amina");
}

TEST_F(exchange, a_forged_introduction_is_refused) {
    b.create_case({{"name", "Amina"}});
    const json full = b.export_changes();
    ASSERT_EQ(full["introductions"].size(), 1u);

    json f = full;
    f["introductions"][0]["mac"] = kim::test::flip_base64(f["introductions"][0]["mac"].get<std::string>(), 7);
    expect_refused<kim::IntegrityError>(f, "hamborn-b");

    // b's name and mac with another key (someone else's signatures under b's name).
    TempDir other{"kim-exchange-h"};
    Replica h = kim::test::make_replica(other / "h", "hochfeld", "hochfeld-a");
    f = full;
    f["introductions"][0]["public_key"] = h.status().public_key;
    expect_refused<kim::IntegrityError>(f, "hamborn-b");

    // A genuine introduction of another site's replica, relabelled as ours.
    f = full;
    f["introductions"].push_back(h.export_changes()["introductions"][0]);
    expect_refused<kim::IntegrityError>(f, "hochfeld-a");

    // A second replica set up under a name already known here, with the
    // site key (so its introduction is genuine) but another signing key.
    // `kim init --join` refuses a known name, so the bundle's list of known
    // replicas is removed first, as a careless or hostile copy might.
    TempDir twin_dir{"kim-exchange-twin"};
    a.import_changes(full);
    auto options = kim::test::create_options(twin_dir / "b", a.site(), "hamborn-b");
    options.join_bundle = a.export_site_key(kim::test::bundle_passphrase, kim::KdfParams::minimal());
    EXPECT_THROW(Replica::create(options), kim::InputError) << "joining under a name in use is refused";
    options.join_bundle->erase("known_replicas");
    options.bundle_passphrase = kim::test::bundle_passphrase;
    Replica::create(options);
    Replica twin = Replica::open(twin_dir / "b", kim::test::passphrase);
    twin.create_case({{"name", "twin"}});
    expect_refused<kim::IntegrityError>(twin.export_changes(), "another public key");
}

TEST_F(exchange, malformed_files_are_refused_with_an_input_error) {
    b.create_case({{"name", "Amina"}});
    const json good = b.export_changes();

    json f = good;
    f["format"] = "kimsync-change";
    expect_refused<kim::InputError>(f, "format");
    f = good;
    f.erase("format");
    expect_refused<kim::InputError>(f, "format");
    f = good;
    f["comment"] = "added by hand";
    expect_refused<kim::InputError>(f, "comment");
    f = good;
    f["version"] = 2;
    expect_refused<kim::InputError>(f, "version");
    f = good;
    f["changes"] = json::object();
    expect_refused<kim::InputError>(f, "changes");
    f = good;
    f.erase("introductions");
    expect_refused<kim::InputError>(f, "introductions");
    f = good;
    f["introductions"][0]["public_key"] = "not base64!";
    expect_refused<kim::InputError>(f, "hamborn-b");
    f = good;
    f["site"] = "Hamborn";
    expect_refused<kim::InputError>(f, "site");
    expect_refused<kim::InputError>(json::array(), "format");
    expect_refused<kim::InputError>(json("kimsync-changes"), "format");

    // Inside a change.
    f = good;
    f["changes"][0]["extra"] = 1;
    expect_refused<kim::InputError>(f, "extra");
    f = good;
    f["changes"][0]["seq"] = -1;
    expect_refused<kim::InputError>(f, "seq");
    f = good;
    f["changes"][0]["record"] = "not-a-uuid";
    expect_refused<kim::InputError>(f, "record");
    f = good;
    std::swap(f["changes"][0]["ops"][0], f["changes"][0]["ops"][1]);
    expect_refused<kim::InputError>(f, "sorted");
    f = good;
    f["changes"][0]["ops"][0]["field"] = "favourite_colour";
    expect_refused<kim::InputError>(f, "favourite_colour");
    f = good;
    f["changes"][0]["kind"] = "diary";
    expect_refused<kim::InputError>(f, "diary");
    f = good;
    f["changes"][0]["v"] = 2;
    expect_refused<kim::InputError>(f, "version");

    // The good file still imports after all that.
    EXPECT_EQ(a.import_changes(good).applied, 1u);
}

}  // namespace
