// At rest: confidential values never reach the disk (or a change file) in plaintext.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using kim::test::files_containing;
using kim::test::TempDir;

// Distinctive values that occur nowhere else.
const std::string name = "Zdravka Wojciechowska-Quirrenbach";
const std::string address = "Kaiser-Wilhelm-Strasse 417, 47169 Duisburg-Marxloh";
const std::string phone = "+49 203 9876543210";
const std::string note = "Termin Jobcenter Buergergeld-Antrag; Tochter Asthma, Arzt Dr. Xylander";
const std::string place = "Begegnungszentrum Hagedornstrasse";
const std::string assessment = "Traumatisierung nach Flucht, Unterstuetzungsbedarf hoch";
const std::string renamed = "Zdravka Quirrenbach-Wojciechowska";

std::vector<std::string> secrets() { return {name, address, phone, note, place, assessment, renamed, "Wojciechowska", "Xylander"}; }

void expect_no_plaintext(const fs::path& home, const std::string& when) {
    ASSERT_TRUE(fs::exists(home / Replica::database_file));
    for (const auto& secret : secrets()) {
        const auto hits = files_containing(home, secret);
        EXPECT_TRUE(hits.empty()) << when << ": '" << secret << "' found in plaintext in " << ::testing::PrintToString(hits);
    }
}

std::vector<std::string> file_names(const fs::path& home) {
    std::vector<std::string> out;
    for (const auto& [path, bytes] : kim::test::files_of(home)) out.push_back(path.filename().string());
    return out;
}

TEST(at_rest, confidential_values_are_never_stored_in_plaintext) {
    TempDir dir{"kim-rest"};
    const fs::path home = dir / "a";
    std::string case_id;
    std::string contact_id;
    {
        Replica r = kim::test::make_replica(home, "hamborn", "hamborn-a");
        case_id = r.create_case({{"name", name}, {"address", address}, {"phone", phone}, {"assessment", assessment},
                                 {"sex", "female"}, {"need.wohnen", "3"}});
        contact_id = r.add_record("contact", case_id, {{"text", note}, {"place", place}, {"mode", "home_visit"}});
        r.set_fields(case_id, {{"name", renamed}});
        ASSERT_EQ(kim::test::shown(r, case_id, "name"), renamed);
        ASSERT_EQ(kim::test::shown(r, contact_id, "text"), note);

        // Open, with the write-ahead log holding the recent writes.
        const auto names = file_names(home);
        EXPECT_NE(std::find(names.begin(), names.end(), "replica.db-wal"), names.end())
            << "expected a WAL beside the open replica: " << ::testing::PrintToString(names);
        // Positive control: what is in clear (ids, categories) is found by the
        // same search, so the search itself works on these files.
        EXPECT_FALSE(files_containing(home, case_id).empty());
        EXPECT_FALSE(files_containing(home, contact_id).empty());
        EXPECT_FALSE(files_containing(home, "home_visit").empty());
        expect_no_plaintext(home, "replica open");

        // Nor in a change file.
        const std::string exported = r.export_changes().dump();
        EXPECT_NE(exported.find(case_id), std::string::npos);
        EXPECT_NE(exported.find("home_visit"), std::string::npos);
        for (const auto& secret : secrets()) {
            EXPECT_EQ(exported.find(secret), std::string::npos) << "'" << secret << "' in plaintext in the change file";
        }
        // Nor in the state digest or the status.
        EXPECT_EQ(r.state_digest().find("Wojciechowska"), std::string::npos);
    }
    // Closed: the log was checkpointed into the database file.
    EXPECT_FALSE(files_containing(home, case_id).empty());
    expect_no_plaintext(home, "replica closed");

    // Reopened and read: reading writes nothing in clear either.
    {
        Replica r = Replica::open(home, kim::test::passphrase);
        EXPECT_EQ(kim::test::shown(r, case_id, "address"), address);
        EXPECT_EQ(kim::test::shown(r, contact_id, "place"), place);
        r.list("case");
        r.conflicts();
        expect_no_plaintext(home, "reopened after reading");
    }
    expect_no_plaintext(home, "closed after reading");
}

TEST(at_rest, an_importing_replica_stores_no_plaintext_either) {
    TempDir dir{"kim-rest"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
    const std::string case_id = a.create_case({{"name", name}, {"address", address}});
    a.add_record("contact", case_id, {{"text", note}, {"place", place}});
    b.import_changes(a.export_changes());
    ASSERT_EQ(kim::test::shown(b, case_id, "name"), name);
    // b's own write of confidential text and a conflict between the two.
    b.set_fields(case_id, {{"assessment", assessment}, {"phone", phone}});
    a.set_fields(case_id, {{"name", renamed}});
    b.set_fields(case_id, {{"name", "Wojciechowska, Z."}});
    kim::test::sync_all({&a, &b});
    ASSERT_EQ(b.conflicts().size(), 1u);
    EXPECT_FALSE(files_containing(dir / "b", case_id).empty());
    expect_no_plaintext(dir / "a", "replica a");
    expect_no_plaintext(dir / "b", "replica b");
    const std::string exported = b.export_changes().dump();
    for (const auto& secret : secrets()) EXPECT_EQ(exported.find(secret), std::string::npos) << secret;
}

}  // namespace
