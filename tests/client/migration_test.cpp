// Schema versions: a replica written by an older kimsync opens and reads;
// one written by a newer kimsync is refused with a clear message.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kim/client/replica.hpp"
#include "kim/shared/errors.hpp"
#include "replica_fixture.hpp"
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

// Version 2 lists the conflicted places in a table of their own; a replica of
// version 1 holding conflicts lists the same ones once it is upgraded.
TEST(migration, conflicts_of_a_version_1_replica_are_listed_after_the_upgrade) {
    kim::test::TempDir dir;
    std::string id;
    {
        Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
        Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
        id = a.create_case({{"name", "Amina"}, {"need.wohnen", "1"}});
        kim::test::sync_all({&a, &b}, 1);
        a.set_fields(id, {{"name", "Amina A"}, {"need.wohnen", "2"}});
        b.set_fields(id, {{"name", "Amina B"}, {"need.wohnen", "3"}});
        kim::test::sync_all({&a, &b});
        ASSERT_EQ(a.conflicts().size(), 2u);
    }
    // Back to what version 1 wrote: no table of conflicted places, an index
    // of the heads (the log's layout of version 3 reads as version 1's).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "a" / "replica.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TRIGGER conflicted_on_new_head; DROP TRIGGER conflicted_on_demoted_head; "
                           "DROP TABLE conflicted; CREATE INDEX field_ops_heads ON field_ops(is_head, record, field); "
                           "PRAGMA user_version = 1",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);

    Replica a = Replica::open(dir / "a", kim::test::passphrase);
    const auto conflicts = a.conflicts();
    ASSERT_EQ(conflicts.size(), 2u);
    EXPECT_EQ(conflicts[0].field, "name");
    EXPECT_EQ(conflicts[1].field, "need.wohnen");
    // And the triggers keep the list from then on: resolving clears it.
    a.resolve(id, "name", "Amina");
    a.resolve(id, "need.wohnen", "2");
    EXPECT_TRUE(a.conflicts().empty());
    EXPECT_EQ(a.status().conflicts, 0u);
}

namespace {

std::vector<std::string> log_rows(const fs::path& db_file) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
    std::vector<std::string> rows;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT arrival || ' ' || origin || ' ' || seq || ' ' || hex(hash) || ' ' || record || ' ' || "
                                 "hlc || ' ' || body FROM changes ORDER BY arrival",
                                 -1, &st, nullptr),
              SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

std::string table_sql(const fs::path& db_file, const std::string& table) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    std::string sql = sqlite3_step(st) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) : "";
    sqlite3_finalize(st);
    sqlite3_close(db);
    return sql;
}

int index_count(const fs::path& db_file, const std::string& index) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = ?", -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, index.c_str(), -1, SQLITE_TRANSIENT);
    const int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

}  // namespace

// Versions 3 and 4 keep the log in a rowid table in arrival order: every change of
// the older table is there, unchanged, and the replica goes on writing after it.
TEST(migration, versions_3_and_4_keep_every_change_of_the_log_in_arrival_order) {
    kim::test::TempDir dir;
    const fs::path home = copy_fixture(dir);
    const auto before = log_rows(home / "replica.db");
    ASSERT_FALSE(before.empty());
    ASSERT_NE(table_sql(home / "replica.db", "changes").find("WITHOUT ROWID"), std::string::npos);
    ASSERT_EQ(index_count(home / "replica.db", "field_ops_heads"), 1);
    {
        auto replica = Replica::open(home, "fixture-passphrase-v1");
        replica.set_fields(fixture_case_id(), {{"phase", "assessment"}});
    }
    const auto after = log_rows(home / "replica.db");
    EXPECT_EQ(table_sql(home / "replica.db", "changes").find("WITHOUT ROWID"), std::string::npos);
    // Version 4: the heads are found through field_ops' own key.
    EXPECT_EQ(index_count(home / "replica.db", "field_ops_heads"), 0);
    ASSERT_EQ(after.size(), before.size() + 1);
    EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()));
    // The new change came after the old ones, with the next arrival number.
    EXPECT_EQ(after.back().substr(0, after.back().find(' ')), std::to_string(before.size() + 1));
    auto replica = Replica::open(home, "fixture-passphrase-v1");
    EXPECT_EQ(replica.read(fixture_case_id()).field("phase")->shown.value, "assessment");
}
