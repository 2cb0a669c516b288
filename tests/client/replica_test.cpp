// The replica's local life: create, read, defaults, validation, lists, status.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace {

using kim::client::FieldInputs;
using kim::client::Replica;
using kim::test::shown;
using kim::test::TempDir;

std::chrono::year_month_day today() {
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

std::string current_quarter() {
    const auto d = today();
    return std::to_string(static_cast<int>(d.year())) + "-Q" + std::to_string((static_cast<unsigned>(d.month()) - 1) / 3 + 1);
}

int current_year() { return static_cast<int>(today().year()); }

class replica : public ::testing::Test {
protected:
    TempDir dir{"kim-replica"};
    Replica r = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
};

TEST_F(replica, confidential_and_statistical_fields_round_trip) {
    const std::string id = r.create_case({{"name", "Amina Kovačević"},
                                          {"birth_date", "1985-03-02"},
                                          {"address", "Weseler Str. 12, 47169 Duisburg"},
                                          {"languages", "bs, de"},
                                          {"sex", "female"},
                                          {"origin_region", "europe_other"},
                                          {"need.wohnen", "2"},
                                          {"need.sgb2", "3"}});
    EXPECT_TRUE(kim::is_uuid(id)) << id;
    const auto view = r.read(id);
    EXPECT_EQ(view.id, id);
    EXPECT_EQ(view.kind, "case");
    EXPECT_FALSE(view.erased);
    EXPECT_EQ(shown(view, "name"), "Amina Kovačević");
    EXPECT_EQ(shown(view, "birth_date"), "1985-03-02");
    EXPECT_EQ(shown(view, "address"), "Weseler Str. 12, 47169 Duisburg");
    EXPECT_EQ(shown(view, "languages"), "bs, de");
    EXPECT_EQ(shown(view, "sex"), "female");
    EXPECT_EQ(shown(view, "origin_region"), "europe_other");
    EXPECT_EQ(shown(view, "need.wohnen"), "2");
    EXPECT_EQ(shown(view, "need.sgb2"), "3");
    EXPECT_TRUE(view.field("name")->confidential);
    EXPECT_TRUE(view.field("birth_date")->confidential);
    EXPECT_FALSE(view.field("sex")->confidential);
    EXPECT_FALSE(view.field("need.wohnen")->confidential);
    EXPECT_EQ(view.field("need.kita"), nullptr) << "a field never written is not shown";
    for (const auto& f : view.fields) {
        EXPECT_TRUE(f.shown.readable) << f.name;
        EXPECT_TRUE(f.conflicting.empty()) << f.name;
        EXPECT_EQ(f.shown.change, "hamborn-a:1") << f.name;
    }

    // The values survive closing and opening the replica.
    const std::string digest = r.state_digest();
    r = Replica::open(dir / "a", kim::test::passphrase);
    EXPECT_EQ(shown(r, id, "name"), "Amina Kovačević");
    EXPECT_EQ(shown(r, id, "need.sgb2"), "3");
    EXPECT_EQ(r.state_digest(), digest);
}

TEST_F(replica, edits_replace_the_shown_value) {
    const std::string id = r.create_case({{"name", "First Name"}, {"need.kita", "1"}});
    r.set_fields(id, {{"name", "Second Name"}, {"need.kita", "0"}, {"phase", "assessment"}});
    const auto view = r.read(id);
    EXPECT_EQ(shown(view, "name"), "Second Name");
    EXPECT_EQ(shown(view, "need.kita"), "0");
    EXPECT_EQ(shown(view, "phase"), "assessment");
    EXPECT_EQ(view.field("name")->shown.change, "hamborn-a:2");
    EXPECT_TRUE(view.field("name")->conflicting.empty());
    EXPECT_TRUE(r.conflicts().empty());
}

TEST_F(replica, new_cases_get_defaults) {
    const std::string adult = r.create_case({{"name", "A"}, {"birth_date", std::to_string(current_year() - 30) + "-01-01"}});
    const std::string child = r.create_case({{"name", "B"}, {"birth_date", std::to_string(current_year() - 10) + "-01-01"}});
    const std::string senior = r.create_case({{"name", "C"}, {"birth_date", std::to_string(current_year() - 70) + "-06-15"}});
    const std::string unknown = r.create_case({{"name", "D"}});

    for (const auto& id : {adult, child, senior, unknown}) {
        const auto v = r.read(id);
        EXPECT_EQ(shown(v, "phase"), "intake");
        EXPECT_EQ(shown(v, "opened_quarter"), current_quarter());
        EXPECT_EQ(v.field("closed_quarter"), nullptr);
    }
    EXPECT_EQ(shown(r, adult, "age_band"), "27_44");
    EXPECT_EQ(shown(r, child, "age_band"), "under_18");
    EXPECT_EQ(shown(r, senior, "age_band"), "65_plus");
    EXPECT_EQ(r.read(unknown).field("age_band"), nullptr) << "no birth date, no derived band";

    // A band given by hand is not overwritten by the derived one.
    // A band given by hand must agree with the date of birth.
    EXPECT_THROW(r.create_case({{"name", "E"}, {"birth_date", "1980-01-01"}, {"age_band", "unknown"}}), kim::InputError);
    const std::string given = r.create_case({{"name", "E"}, {"birth_date", "1980-01-01"}, {"age_band", "45_64"}});
    EXPECT_EQ(shown(r, given, "age_band"), "45_64");
    // A later correction of the date of birth moves the band with it.
    r.set_fields(given, {{"birth_date", "2015-01-01"}});
    EXPECT_EQ(shown(r, given, "age_band"), "under_18");
    EXPECT_THROW(r.set_fields(given, {{"birth_date", "2999-01-01"}}), kim::InputError) << "a future date of birth";
    // A phase given at creation is kept.
    const std::string planned = r.create_case({{"name", "F"}, {"phase", "planning"}});
    EXPECT_EQ(shown(r, planned, "phase"), "planning");
}

TEST_F(replica, records_of_a_case_get_defaults) {
    const std::string c = r.create_case({{"name", "A"}});
    const std::string consent = r.add_record("consent", c, {{"scope", "share"}, {"recipients", "Jobcenter"}});
    const std::string goal = r.add_record("goal", c, {{"text", "Wohnung finden"}, {"field", "wohnen"}});
    const std::string referral = r.add_record("referral", c, {{"agency", "Wohnungsamt"}, {"target_type", "housing"}});
    const std::string contact = r.add_record("contact", c, {{"text", "Erstgespräch"}, {"mode", "in_person"}});

    EXPECT_EQ(shown(r, consent, "given_quarter"), current_quarter());
    EXPECT_EQ(shown(r, consent, "withdrawn"), "no");
    EXPECT_EQ(shown(r, goal, "status"), "open");
    EXPECT_EQ(shown(r, referral, "outcome"), "pending");
    const auto d = today();
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    EXPECT_EQ(shown(r, contact, "date"), date);
    EXPECT_EQ(shown(r, contact, "text"), "Erstgespräch");
    for (const auto& id : {consent, goal, referral, contact}) EXPECT_EQ(r.read(id).case_id, c);

    auto children = r.records_of_case(c);
    std::sort(children.begin(), children.end());
    std::vector<std::string> expected{consent, goal, referral, contact};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(children, expected);
}

TEST_F(replica, unknown_field_is_refused_with_the_list_of_fields) {
    const std::string id = r.create_case({{"name", "A"}});
    const std::string digest = r.state_digest();
    const auto own = r.status().own_changes;
    try {
        r.set_fields(id, {{"nmae", "B"}});
        FAIL() << "an unknown field was accepted";
    } catch (const kim::InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("nmae"), std::string::npos) << msg;
        EXPECT_NE(msg.find("name"), std::string::npos) << msg;
        EXPECT_NE(msg.find("phase"), std::string::npos) << msg;
        EXPECT_NE(msg.find("need.wohnen"), std::string::npos) << msg;
    }
    EXPECT_THROW(r.create_case({{"name", "A"}, {"favourite_colour", "blue"}}), kim::InputError);
    EXPECT_THROW(r.add_record("goal", id, {{"name", "a goal has no name"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"need.unknown", "1"}}), kim::InputError);
    EXPECT_EQ(r.state_digest(), digest);
    EXPECT_EQ(r.status().own_changes, own);
    EXPECT_EQ(r.list("case").size(), 1u);
}

TEST_F(replica, invalid_values_are_refused_and_change_nothing) {
    const std::string id = r.create_case({{"name", "A"}, {"sex", "female"}});
    const std::string digest = r.state_digest();
    const auto own = r.status().own_changes;
    try {
        r.set_fields(id, {{"sex", "robot"}});
        FAIL() << "a value outside the list was accepted";
    } catch (const kim::InputError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find("robot"), std::string::npos) << "the typed value is not echoed (it may be personal data): " << msg;
        EXPECT_NE(msg.find("sex"), std::string::npos) << msg;
        EXPECT_NE(msg.find("female"), std::string::npos) << "the message lists the allowed values: " << msg;
    }
    EXPECT_THROW(r.set_fields(id, {{"need.wohnen", "4"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"phase", "Intake"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"opened_quarter", "2026-Q5"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"birth_date", "02.03.1985"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"name", std::string("bad \xff utf-8")}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"phone", std::string(101, '1')}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"name", "B"}, {"name", "C"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {}), kim::InputError);
    // Reserved fields are kim's own.
    EXPECT_THROW(r.set_fields(id, {{"_key", "AAAA"}}), kim::InputError);
    EXPECT_THROW(r.set_fields(id, {{"_erased", "true"}}), kim::InputError);
    EXPECT_THROW(r.create_case({{"name", "A"}, {"sex", "robot"}}), kim::InputError);
    // A valid field beside an invalid one is not written either.
    EXPECT_THROW(r.set_fields(id, {{"name", "Valid"}, {"sex", "robot"}}), kim::InputError);
    EXPECT_EQ(shown(r, id, "name"), "A");
    EXPECT_EQ(shown(r, id, "sex"), "female");
    EXPECT_EQ(r.state_digest(), digest);
    EXPECT_EQ(r.status().own_changes, own);
    EXPECT_EQ(r.list("case").size(), 1u);
}

TEST_F(replica, contact_is_append_only) {
    const std::string c = r.create_case({{"name", "A"}});
    const std::string note = r.add_record("contact", c, {{"text", "Anruf wegen Termin"}, {"mode", "phone"}});
    const std::string digest = r.state_digest();
    EXPECT_THROW(r.set_fields(note, {{"text", "rewritten history"}}), kim::StateError);
    EXPECT_THROW(r.set_fields(note, {{"mode", "video"}}), kim::StateError);
    EXPECT_EQ(shown(r, note, "text"), "Anruf wegen Termin");
    EXPECT_EQ(r.state_digest(), digest);
    // A second note is a new record; both stay.
    const std::string second = r.add_record("contact", c, {{"text", "Hausbesuch"}, {"mode", "home_visit"}});
    EXPECT_NE(second, note);
    EXPECT_EQ(r.list("contact").size(), 2u);
}

TEST_F(replica, records_need_an_existing_case) {
    const std::string digest = r.state_digest();
    EXPECT_THROW(r.add_record("contact", kim::random_uuid(), {{"text", "x"}}), kim::NotFoundError);
    EXPECT_THROW(r.set_fields(kim::random_uuid(), {{"name", "x"}}), kim::NotFoundError);
    EXPECT_THROW(r.read(kim::random_uuid()), kim::NotFoundError);
    EXPECT_THROW(r.erase(kim::random_uuid()), kim::NotFoundError);
    EXPECT_EQ(r.state_digest(), digest);
    const std::string c = r.create_case({{"name", "A"}});
    const std::string goal = r.add_record("goal", c, {{"text", "Deutschkurs"}});
    // A record of a case is not a case.
    EXPECT_THROW(r.add_record("contact", goal, {{"text", "x"}}), kim::NotFoundError);
    EXPECT_THROW(r.add_record("case", c, {{"name", "x"}}), kim::InputError);
    EXPECT_THROW(r.add_record("diary", c, {{"text", "x"}}), kim::InputError);
}

TEST_F(replica, list_filters_by_kind_and_hides_erased_records) {
    const std::string c1 = r.create_case({{"name", "A"}});
    const std::string c2 = r.create_case({{"name", "B"}});
    const std::string c3 = r.create_case({{"name", "C"}});
    const std::string g1 = r.add_record("goal", c1, {{"text", "g1"}});
    const std::string g3 = r.add_record("goal", c3, {{"text", "g3"}});
    const std::string n1 = r.add_record("contact", c1, {{"text", "n1"}});

    auto ids = [](const std::vector<kim::client::RecordView>& views) {
        std::vector<std::string> out;
        for (const auto& v : views) out.push_back(v.id);
        std::sort(out.begin(), out.end());
        return out;
    };
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(ids(r.list("case")), sorted({c1, c2, c3}));
    EXPECT_EQ(ids(r.list("goal")), sorted({g1, g3}));
    EXPECT_EQ(ids(r.list("contact")), sorted({n1}));
    EXPECT_TRUE(r.list("referral").empty());
    for (const auto& v : r.list("goal")) EXPECT_EQ(v.kind, "goal");

    r.erase(c3);  // takes its goal with it
    r.erase(n1);
    EXPECT_EQ(ids(r.list("case")), sorted({c1, c2}));
    EXPECT_EQ(ids(r.list("goal")), sorted({g1}));
    EXPECT_TRUE(r.list("contact").empty());
    EXPECT_TRUE(r.read(g3).erased);
    EXPECT_TRUE(r.read(c3).erased);
    EXPECT_TRUE(r.read(c3).fields.empty());
    EXPECT_THROW(r.erase(c3), kim::StateError);
    EXPECT_THROW(r.erase(g3), kim::StateError) << "a record of an erased case is erased too";
    EXPECT_THROW(r.set_fields(c3, {{"phase", "closed"}}), kim::StateError);
    EXPECT_THROW(r.add_record("contact", c3, {{"text", "late"}}), kim::StateError);
}

TEST_F(replica, status_counts) {
    auto s = r.status();
    EXPECT_EQ(s.site, "hamborn");
    EXPECT_EQ(s.replica, "hamborn-a");
    EXPECT_EQ(s.public_key, Replica::info(dir / "a").public_key);
    EXPECT_EQ(s.own_changes, 0u);
    EXPECT_EQ(s.all_changes, 0u);
    EXPECT_EQ(s.cases, 0u);
    EXPECT_EQ(s.open_cases, 0u);
    EXPECT_EQ(s.conflicts, 0u);
    EXPECT_EQ(s.waiting_changes, 0u);
    EXPECT_EQ(s.peers, std::vector<std::string>{"hamborn-a"});

    const std::string c1 = r.create_case({{"name", "A"}});
    const std::string c2 = r.create_case({{"name", "B"}});
    r.add_record("contact", c1, {{"text", "n"}});
    r.set_fields(c2, {{"phase", "planning"}});
    s = r.status();
    EXPECT_EQ(s.own_changes, 4u);
    EXPECT_EQ(s.all_changes, 4u);
    EXPECT_EQ(s.cases, 2u) << "cases counts cases, not their records";
    EXPECT_EQ(s.open_cases, 2u);
    r.set_fields(c1, {{"phase", "closed"}});
    s = r.status();
    EXPECT_EQ(s.cases, 2u);
    EXPECT_EQ(s.open_cases, 1u) << "a closed case is not open";
    r.erase(c2);
    s = r.status();
    EXPECT_EQ(s.own_changes, 6u);
    EXPECT_EQ(s.cases, 1u);
    EXPECT_EQ(s.open_cases, 0u);

    TempDir other_dir{"kim-replica-b"};
    Replica b = kim::test::join_replica(r, other_dir / "b", "hamborn-b");
    b.import_changes(r.export_changes());
    b.create_case({{"name", "C"}});
    r.import_changes(b.export_changes());
    s = r.status();
    EXPECT_EQ(s.own_changes, 6u);
    EXPECT_EQ(s.all_changes, 7u);
    EXPECT_EQ(s.cases, 2u);
    EXPECT_EQ(s.peers, (std::vector<std::string>{"hamborn-a", "hamborn-b"}));
    EXPECT_EQ(b.status().all_changes, 7u);
    EXPECT_EQ(b.status().own_changes, 1u);
}

TEST_F(replica, closing_a_case_sets_its_closed_quarter) {
    const std::string id = r.create_case({{"name", "A"}});
    r.set_fields(id, {{"phase", "monitoring"}});
    EXPECT_EQ(r.read(id).field("closed_quarter"), nullptr);
    r.set_fields(id, {{"phase", "closed"}, {"closure_reason", "goals_met"}});
    const auto v = r.read(id);
    EXPECT_EQ(shown(v, "phase"), "closed");
    EXPECT_EQ(shown(v, "closure_reason"), "goals_met");
    EXPECT_EQ(shown(v, "closed_quarter"), current_quarter());
    EXPECT_EQ(v.field("closed_quarter")->shown.change, v.field("phase")->shown.change) << "one change";

    // A quarter given by hand wins over the default.
    const std::string other = r.create_case({{"name", "B"}});
    r.set_fields(other, {{"phase", "closed"}, {"closed_quarter", "2024-Q2"}});
    EXPECT_EQ(shown(r, other, "closed_quarter"), "2024-Q2");
    // Closing again does not move an existing closed quarter.
    r.set_fields(other, {{"phase", "monitoring"}});
    r.set_fields(other, {{"phase", "closed"}});
    EXPECT_EQ(shown(r, other, "closed_quarter"), "2024-Q2");
}

TEST_F(replica, identity_is_readable_without_the_passphrase) {
    const auto info = Replica::info(dir / "a");
    EXPECT_EQ(info.site, "hamborn");
    EXPECT_EQ(info.replica, "hamborn-a");
    EXPECT_EQ(info.public_key, r.status().public_key);
    EXPECT_EQ(r.site(), "hamborn");
    EXPECT_EQ(r.replica_id(), "hamborn-a");
}

TEST_F(replica, create_refuses_bad_names_and_an_existing_replica) {
    auto o = kim::test::create_options(dir / "x", "Hamborn", "hamborn-x");
    EXPECT_THROW(Replica::create(o), kim::InputError);
    o = kim::test::create_options(dir / "x", "hamborn", "hamborn:x");
    EXPECT_THROW(Replica::create(o), kim::InputError);
    EXPECT_FALSE(std::filesystem::exists(dir / "x" / Replica::database_file));
    const std::string digest = r.state_digest();
    EXPECT_THROW(Replica::create(kim::test::create_options(dir / "a", "hamborn", "hamborn-z")), kim::StateError);
    EXPECT_EQ(Replica::info(dir / "a").replica, "hamborn-a");
    EXPECT_EQ(r.state_digest(), digest);
}

}  // namespace
