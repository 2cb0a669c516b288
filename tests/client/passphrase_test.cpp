// Passphrases: a wrong one is a clear error that reads and writes nothing;
// joining a site needs the right bundle passphrase and the right site.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/errors.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using kim::test::TempDir;

TEST(passphrase, wrong_passphrase_is_refused_and_touches_nothing) {
    TempDir dir{"kim-pass"};
    std::string id;
    {
        Replica r = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
        id = r.create_case({{"name", "Amina"}});
        r.add_record("contact", id, {{"text", "Erstgespräch"}});
    }
    const std::string before = kim::test::digest_of_folder(dir / "a");
    ASSERT_FALSE(before.empty());

    for (const char* wrong : {"correct horse battery stapler", "", "x", "CORRECT HORSE BATTERY STAPLE"}) {
        try {
            Replica::open(dir / "a", wrong);
            FAIL() << "opened with a wrong passphrase: '" << wrong << "'";
        } catch (const kim::AuthError& e) {
            EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos) << e.what();
        }
        EXPECT_EQ(kim::test::digest_of_folder(dir / "a"), before) << "the folder changed after a wrong passphrase '" << wrong << "'";
    }

    Replica r = Replica::open(dir / "a", kim::test::passphrase);
    EXPECT_EQ(kim::test::shown(r, id, "name"), "Amina");
    EXPECT_EQ(r.status().own_changes, 2u);
}

TEST(passphrase, wrong_passphrase_while_another_handle_is_open) {
    TempDir dir{"kim-pass"};
    Replica r = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    const std::string id = r.create_case({{"name", "Amina"}});
    const std::string digest = r.state_digest();
    EXPECT_THROW(Replica::open(dir / "a", "not the passphrase"), kim::AuthError);
    EXPECT_EQ(r.state_digest(), digest);
    EXPECT_EQ(kim::test::shown(r, id, "name"), "Amina");
    r.set_fields(id, {{"phase", "assessment"}});  // the open handle still writes
    EXPECT_EQ(kim::test::shown(r, id, "phase"), "assessment");
}

TEST(passphrase, missing_replica_is_not_found) {
    TempDir dir{"kim-pass"};
    EXPECT_THROW(Replica::open(dir / "nothing-here", kim::test::passphrase), kim::NotFoundError);
    EXPECT_THROW(Replica::info(dir / "nothing-here"), kim::NotFoundError);
    EXPECT_FALSE(fs::exists(dir / "nothing-here")) << "looking for a replica must not create its folder";
    fs::create_directories(dir / "empty");
    EXPECT_THROW(Replica::open(dir / "empty", kim::test::passphrase), kim::NotFoundError);
    EXPECT_TRUE(fs::is_empty(dir / "empty"));
}

TEST(passphrase, short_passphrase_is_refused_at_create) {
    TempDir dir{"kim-pass"};
    auto o = kim::test::create_options(dir / "a", "hamborn", "hamborn-a");
    o.passphrase = "1234567";
    try {
        Replica::create(o);
        FAIL() << "a 7-character passphrase was accepted";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "a" / Replica::database_file));
    o.passphrase = "12345678";
    Replica::create(o);
    EXPECT_NO_THROW(Replica::open(dir / "a", "12345678"));
}

TEST(passphrase, short_bundle_passphrase_is_refused) {
    TempDir dir{"kim-pass"};
    Replica r = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    EXPECT_THROW(r.export_site_key("short", kim::KdfParams::minimal()), kim::InputError);
}

TEST(passphrase, join_with_a_wrong_bundle_passphrase_is_refused) {
    TempDir dir{"kim-pass"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    auto o = kim::test::create_options(dir / "b", "hamborn", "hamborn-b");
    o.join_bundle = a.export_site_key(kim::test::bundle_passphrase, kim::KdfParams::minimal());
    o.bundle_passphrase = "not the bundle passphrase";
    try {
        Replica::create(o);
        FAIL() << "joined with a wrong bundle passphrase";
    } catch (const kim::AuthError& e) {
        EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "b" / Replica::database_file));

    // The right bundle passphrase joins; the two replicas share the site key.
    o.bundle_passphrase = kim::test::bundle_passphrase;
    Replica::create(o);
    Replica b = Replica::open(dir / "b", kim::test::passphrase);
    const std::string id = a.create_case({{"name", "Amina"}});
    b.import_changes(a.export_changes());
    EXPECT_EQ(kim::test::shown(b, id, "name"), "Amina");
}

TEST(passphrase, bundle_of_another_site_is_refused) {
    TempDir dir{"kim-pass"};
    Replica hochfeld = kim::test::make_replica(dir / "h", "hochfeld", "hochfeld-a");
    auto o = kim::test::create_options(dir / "b", "hamborn", "hamborn-b");
    o.join_bundle = hochfeld.export_site_key(kim::test::bundle_passphrase, kim::KdfParams::minimal());
    o.bundle_passphrase = kim::test::bundle_passphrase;
    try {
        Replica::create(o);
        FAIL() << "joined site hamborn with the key of hochfeld";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("hochfeld"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "b" / Replica::database_file));

    // Changing the site named in the bundle does not help: the sealed key is bound to its site.
    auto bundle = *o.join_bundle;
    bundle["site"] = "hamborn";
    o.join_bundle = bundle;
    EXPECT_THROW(Replica::create(o), kim::Error);
    EXPECT_FALSE(fs::exists(dir / "b" / Replica::database_file));

    // Something that is not a bundle at all.
    o.join_bundle = nlohmann::json{{"format", "something-else"}};
    EXPECT_THROW(Replica::create(o), kim::InputError);
}

}  // namespace
