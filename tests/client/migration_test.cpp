// Schema versions: a replica written by an older kimsync opens and reads;
// one written by a newer kimsync is refused with a clear message.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kim/client/replica.hpp"
#include "kim/shared/errors.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using kim::client::Replica;

namespace {

// A copy of the committed fixture, since opening a replica may migrate it.
fs::path copy_fixture(const kim::test::TempDir& dir) {
    const fs::path source = fs::path(KIM_SOURCE_DIR) / "tests/data/replica-v1";
    const fs::path home = dir / "replica";
    fs::create_directories(home);
    fs::copy_file(source / "replica.db", home / "replica.db");
    return home;
}

std::string fixture_case_id() {
    std::ifstream in(fs::path(KIM_SOURCE_DIR) / "tests/data/replica-v1/case-id.txt");
    std::string id;
    std::getline(in, id);
    return id;
}

}  // namespace

TEST(migration, replica_written_by_schema_version_1_opens_and_reads) {
    kim::test::TempDir dir;
    const fs::path home = copy_fixture(dir);
    auto replica = Replica::open(home, "fixture-passphrase-v1");
    EXPECT_EQ(replica.site(), "hochfeld");
    const auto view = replica.read(fixture_case_id());
    ASSERT_NE(view.field("name"), nullptr);
    EXPECT_EQ(view.field("name")->shown.value, "Fixture Person Eins");
    EXPECT_EQ(view.field("need.kita")->shown.value, "1");
    ASSERT_EQ(replica.records_of_case(view.id).size(), 1u);
    EXPECT_EQ(replica.read(replica.records_of_case(view.id)[0]).field("text")->shown.value, "Kitaplatz finden");
    // The old replica keeps working: a new edit on top of its chain.
    replica.set_fields(view.id, {{"phase", "assessment"}});
    EXPECT_EQ(replica.read(view.id).field("phase")->shown.value, "assessment");
}

TEST(migration, replica_from_a_newer_version_is_refused_clearly) {
    kim::test::TempDir dir;
    const fs::path home = copy_fixture(dir);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((home / "replica.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    try {
        Replica::open(home, "fixture-passphrase-v1");
        FAIL() << "a newer schema must be refused";
    } catch (const kim::StateError& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    }
}
