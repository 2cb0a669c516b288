// Erasure (GDPR Art. 17), retention and the access-request export (Art. 15)
// on the client: what an erased case leaves in the replica's files, on the
// replica that erased it and on those that receive the erasure; which closed
// cases the retention period reaches; what `export_case` returns.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using kim::test::TempDir;
using nlohmann::json;

// Distinctive values that occur nowhere else.
const std::string name = "Radoslava Quillfeldt-Ybarra";
const std::string assessment = "Fluchterfahrung, Schlafstoerungen; Tochter braucht Kita-Platz (Xylophonweg)";
const std::string note = "Hausbesuch Zwiebelturmstrasse: Mietvertrag und Bescheid Jobcenter besprochen";
const std::string goal_text = "Eigene Wohnung in Quillfeldt-Siedlung";
const std::string referral_text = "Schuldnerberatung Yggdrasil e.V., Termin 14.3.";
const std::string consent_text = "Jobcenter Duisburg-Quillfeldt, Auslaenderbehoerde";

std::vector<std::string> plaintexts() { return {name, assessment, note, goal_text, referral_text, consent_text, "Quillfeldt"}; }

// A case with every kind of record, all of them holding confidential values.
struct FullCase {
    std::string id;
    std::vector<std::string> records;  // the case's consents, goals, referrals, contacts

    std::set<std::string> all() const {
        std::set<std::string> out(records.begin(), records.end());
        out.insert(id);
        return out;
    }
};

FullCase make_full_case(Replica& r) {
    FullCase c;
    c.id = r.create_case({{"name", name}, {"assessment", assessment}, {"address", "Weseler Str. 12"}, {"phone", "0203 555"}});
    c.records.push_back(r.add_record("consent", c.id, {{"recipients", consent_text}, {"scope", "processing"}}));
    c.records.push_back(r.add_record("goal", c.id, {{"text", goal_text}, {"field", "wohnen"}}));
    c.records.push_back(r.add_record("referral", c.id, {{"agency", "Schuldnerberatung"}, {"details", referral_text}}));
    c.records.push_back(r.add_record("contact", c.id, {{"text", note}, {"place", "Zwiebelturmstrasse 3"}}));
    c.records.push_back(r.add_record("contact", c.id, {{"text", "zweiter Vermerk"}}));
    r.set_fields(c.id, {{"name", name + " geb. Ybarra"}});
    return c;
}

// Other cases around it, so that the erased rows share pages with live ones.
void add_neighbours(Replica& r, int n) {
    for (int i = 0; i < n; ++i) {
        const auto id = r.create_case({{"name", "Nachbar " + std::to_string(i)}, {"assessment", std::string(300, 'n')}});
        r.add_record("contact", id, {{"text", "Vermerk " + std::to_string(i)}});
    }
}

// Every ciphertext of the given records in a change file: base64 and raw.
struct Ciphertexts {
    std::vector<std::string> base64;
    std::vector<std::string> raw;
};

Ciphertexts ciphertexts_in(const json& file, const std::set<std::string>& records) {
    Ciphertexts out;
    for (const auto& c : file.at("changes")) {
        if (!records.count(c.at("record").get<std::string>())) continue;
        for (const auto& op : c.at("ops")) {
            if (!op.contains("ct")) continue;
            const std::string b64 = op.at("ct");
            const auto bytes = kim::base64_decode(b64);
            if (!bytes) throw std::runtime_error("a ciphertext in the change file is not base64");
            out.base64.push_back(b64);
            out.raw.emplace_back(bytes->begin(), bytes->end());
        }
    }
    return out;
}

// No file of `home` holds a plaintext or any of the ciphertexts (raw or base64).
void expect_no_trace(const fs::path& home, const Ciphertexts& cts, const std::string& when) {
    for (const auto& [path, bytes] : kim::test::files_of(home)) {
        const std::string file = path.filename().string();
        for (const auto& p : plaintexts()) EXPECT_EQ(bytes.find(p), std::string::npos) << when << ": '" << p << "' in " << file;
        for (std::size_t i = 0; i < cts.raw.size(); ++i) {
            EXPECT_EQ(bytes.find(cts.raw[i]), std::string::npos) << when << ": ciphertext " << i << " (raw) in " << file;
            EXPECT_EQ(bytes.find(cts.base64[i]), std::string::npos) << when << ": ciphertext " << i << " (base64) in " << file;
        }
    }
}

void expect_nothing_held(const fs::path& home, const FullCase& c) {
    for (const auto& record : c.all()) EXPECT_EQ(kim::test::ciphertexts_of_record(home, record), 0) << record;
    kim::test::SqliteFile db(home / Replica::database_file);
    EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM ciphertexts WHERE field = '_key' AND (origin, seq) IN "
                        "(SELECT origin, seq FROM changes WHERE record = ?)",
                        {c.id}),
              0)
        << "the case key survived";
    EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM pending WHERE body LIKE '%\"ct\":%'"), 0);
}

TEST(erasure, a_local_erasure_leaves_no_trace_in_any_file_of_the_replica) {
    TempDir dir{"kim-erasure"};
    const fs::path home = dir / "a";
    Ciphertexts cts;
    FullCase c;
    {
        std::optional<Replica> a = kim::test::make_replica(home, "hamborn", "hamborn-a");
        add_neighbours(*a, 20);
        c = make_full_case(*a);
        add_neighbours(*a, 20);
        cts = ciphertexts_in(a->export_changes(), c.all());
        ASSERT_GE(cts.raw.size(), 12u) << "key, case fields and every record's fields";

        a->erase(c.id);
        for (const auto& record : c.all()) EXPECT_TRUE(a->read(record).erased) << record;
        expect_nothing_held(home, c);
        // While the replica is still open (kim sync --watch, a second kim
        // process): the write-ahead log must not keep the old pages.
        expect_no_trace(home, cts, "after the erasure, replica open");
        const auto wal = home / (std::string(Replica::database_file) + "-wal");
        if (fs::exists(wal)) {
            EXPECT_EQ(fs::file_size(wal), 0u) << "the WAL was not truncated after the erasure";
        }
        a.reset();
    }
    expect_no_trace(home, cts, "after the erasure, replica closed");
}

TEST(erasure, an_erasure_received_by_import_destroys_every_record_and_the_case_key) {
    TempDir dir{"kim-erasure"};
    std::optional<Replica> a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    std::optional<Replica> b = kim::test::join_replica(*a, dir / "b", "hamborn-b");
    add_neighbours(*a, 10);
    FullCase c = make_full_case(*a);
    b->import_changes(a->export_changes());
    // b writes to the case too before it learns of the erasure.
    c.records.push_back(b->add_record("contact", c.id, {{"text", note + " (b)"}}));
    b->set_fields(c.id, {{"assessment", assessment + " (b)"}});
    add_neighbours(*b, 10);
    const Ciphertexts cts = ciphertexts_in(b->export_changes(), c.all());
    ASSERT_EQ(kim::test::shown(*b, c.id, "name"), name + " geb. Ybarra");

    a->erase(c.id);
    const auto report = b->import_changes(a->export_changes());
    ASSERT_FALSE(report.notes.empty());
    for (const auto& record : c.all()) EXPECT_TRUE(b->read(record).erased) << record;
    expect_nothing_held(dir / "b", c);
    expect_no_trace(dir / "b", cts, "b after importing the erasure, open");
    // And a, which receives b's late writes to the erased case, keeps none of their ciphertexts.
    a->import_changes(b->export_changes());
    expect_nothing_held(dir / "a", c);
    EXPECT_EQ(a->state_digest(), b->state_digest());
    a.reset();
    b.reset();
    expect_no_trace(dir / "a", cts, "a closed");
    expect_no_trace(dir / "b", cts, "b closed");
}

// A held edit names only its record; when the change that created the record
// (and links it to the case) is held too, the erasure must still reach it.
TEST(erasure, held_edits_of_a_record_created_in_a_held_change_lose_their_ciphertexts) {
    TempDir dir{"kim-erasure"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
    Replica c = kim::test::join_replica(a, dir / "c", "hamborn-c");
    const std::string id = a.create_case({{"name", name}});
    b.import_changes(a.export_changes());
    b.create_case({{"name", "anderer Fall"}});                                         // hamborn-b:1, withheld from c
    const std::string goal = b.add_record("goal", id, {{"text", goal_text}});          // hamborn-b:2, links the goal
    b.set_fields(goal, {{"text", goal_text + " (geaendert)"}});                        // hamborn-b:3, names the goal only
    const json from_b = kim::test::filter_changes(
        b.export_changes(), [](const json& ch) { return ch["origin"] != "hamborn-b" || ch["seq"] != 1; });
    const Ciphertexts cts = ciphertexts_in(from_b, {goal});
    ASSERT_EQ(cts.raw.size(), 2u);

    auto held_ciphertexts = [](const fs::path& home) {
        kim::test::SqliteFile db(home / Replica::database_file);
        return db.scalar("SELECT COUNT(*) FROM pending WHERE body LIKE '%\"ct\":%'");
    };
    auto exported = [&](Replica& r) { return ciphertexts_in(r.export_changes(), {goal}).raw.size(); };

    // c holds b:2 and b:3 first, then learns of the erasure.
    c.import_changes(a.export_changes());
    c.import_changes(from_b);
    ASSERT_EQ(c.status().waiting_changes, 2u);
    ASSERT_EQ(held_ciphertexts(dir / "c"), 2);
    a.erase(id);
    c.import_changes(a.export_changes());
    EXPECT_EQ(held_ciphertexts(dir / "c"), 0);
    EXPECT_EQ(exported(c), 0u);

    // a erased the case before b:2 and b:3 arrive (in one file).
    a.import_changes(from_b);
    EXPECT_EQ(a.status().waiting_changes, 2u);
    EXPECT_EQ(held_ciphertexts(dir / "a"), 0);
    EXPECT_EQ(exported(a), 0u);
    expect_no_trace(dir / "a", cts, "a holding b's changes");
    expect_no_trace(dir / "c", cts, "c holding b's changes");
}

// --- Retention ----------------------------------------------------------------

std::uint64_t millis_of(int y, unsigned m, unsigned d, int hour = 12) {
    using namespace std::chrono;
    const sys_days date{year{y} / month{m} / day{d}};
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(date.time_since_epoch()).count()) +
           static_cast<std::uint64_t>(hour) * 3'600'000;
}

// Replicas whose wall clock the test sets.
class retention : public ::testing::Test {
protected:
    Replica open(const std::string& replica, std::uint64_t& clock, Replica* join = nullptr) {
        auto o = kim::test::create_options(dir / replica, "hamborn", replica);
        if (join) {
            o.join_bundle = join->export_site_key(kim::test::bundle_passphrase, kim::KdfParams::minimal());
            o.bundle_passphrase = kim::test::bundle_passphrase;
        }
        Replica::create(o);
        return Replica::open(dir / replica, kim::test::passphrase, [&clock] { return clock; });
    }

    std::vector<std::string> due_ids(Replica& r, std::uint64_t now) {
        std::vector<std::string> out;
        for (const auto& d : r.retention_due(now)) out.push_back(d.case_id);
        return out;
    }

    TempDir dir{"kim-retention"};
    std::uint64_t clock_a = millis_of(2020, 3, 1);
    std::uint64_t clock_b = millis_of(2020, 3, 1);
};

TEST_F(retention, closed_cases_are_due_three_years_after_the_closing_change_by_default) {
    Replica a = open("hamborn-a", clock_a);
    EXPECT_EQ(a.retention_years(), Replica::default_retention_years);
    EXPECT_EQ(a.status().retention_years, 3);
    const std::string early = a.create_case({{"name", name}});
    const std::string late = a.create_case({{"name", "spaeter"}});
    const std::string open_case = a.create_case({{"name", "offen"}});
    const std::string reopened = a.create_case({{"name", "wieder offen"}});
    const std::string contact = a.add_record("contact", early, {{"text", note}});
    clock_a = millis_of(2020, 3, 15);
    a.set_fields(early, {{"phase", "closed"}, {"closure_reason", "goals_met"}});
    a.set_fields(reopened, {{"phase", "closed"}});
    clock_a = millis_of(2021, 1, 10);
    a.set_fields(reopened, {{"phase", "monitoring"}});
    a.set_fields(open_case, {{"phase", "planning"}});
    clock_a = millis_of(2022, 6, 1);
    a.set_fields(late, {{"phase", "closed"}});

    EXPECT_TRUE(due_ids(a, millis_of(2023, 3, 15, 11)).empty()) << "an hour before three years";
    const auto due = a.retention_due(millis_of(2023, 3, 15, 12));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].case_id, early);
    EXPECT_EQ(due[0].closed_millis, millis_of(2020, 3, 15));
    EXPECT_EQ(due[0].closed_by, "hamborn-a:6");
    EXPECT_FALSE(due[0].phase_in_conflict);

    // Listing changes nothing (this is all `--dry-run` does).
    const std::string digest = a.state_digest();
    a.retention_due(millis_of(2030, 1, 1));
    EXPECT_EQ(a.state_digest(), digest);
    EXPECT_FALSE(a.read(early).erased);

    // Both closed ones, oldest closure first; never the open or reopened ones.
    EXPECT_EQ(due_ids(a, millis_of(2030, 1, 1)), (std::vector<std::string>{early, late}));
    for (const auto& d : a.retention_due(millis_of(2030, 1, 1))) a.erase(d.case_id);
    EXPECT_TRUE(a.read(early).erased);
    EXPECT_TRUE(a.read(contact).erased);
    EXPECT_TRUE(a.read(late).erased);
    EXPECT_FALSE(a.read(open_case).erased);
    EXPECT_FALSE(a.read(reopened).erased);
    EXPECT_TRUE(due_ids(a, millis_of(2030, 1, 1)).empty()) << "erased cases are not due again";
}

TEST_F(retention, the_period_is_configurable_from_0_to_100_years) {
    Replica a = open("hamborn-a", clock_a);
    const std::string id = a.create_case({{"name", name}});
    a.set_fields(id, {{"phase", "closed"}});
    EXPECT_TRUE(due_ids(a, millis_of(2021, 3, 2)).empty());
    a.set_retention_years(1);
    EXPECT_EQ(a.retention_years(), 1);
    EXPECT_EQ(a.status().retention_years, 1);
    EXPECT_EQ(due_ids(a, millis_of(2021, 3, 2)), std::vector<std::string>{id});
    a.set_retention_years(0);
    EXPECT_EQ(due_ids(a, clock_a), std::vector<std::string>{id}) << "0: due as soon as closed";
    EXPECT_THROW(a.set_retention_years(-1), kim::InputError);
    EXPECT_THROW(a.set_retention_years(101), kim::InputError);
    EXPECT_EQ(a.retention_years(), 0);
    a.set_retention_years(100);
    EXPECT_TRUE(due_ids(a, millis_of(2119, 1, 1)).empty());
}

TEST_F(retention, a_closure_on_29_february_counts_from_1_march) {
    clock_a = millis_of(2020, 2, 29);
    Replica a = open("hamborn-a", clock_a);
    const std::string id = a.create_case({{"name", name}});
    a.set_fields(id, {{"phase", "closed"}});
    a.set_retention_years(1);
    EXPECT_TRUE(due_ids(a, millis_of(2021, 2, 28, 23)).empty());
    EXPECT_EQ(due_ids(a, millis_of(2021, 3, 1, 12)), std::vector<std::string>{id});
}

// Conflict on phase: the case counts as closed only when closed is the shown
// value (the head with the greatest hlc), as in every list and count.
TEST_F(retention, a_conflict_on_phase_counts_as_closed_only_when_closed_is_shown) {
    Replica a = open("hamborn-a", clock_a);
    Replica b = open("hamborn-b", clock_b, &a);
    const std::string shown_closed = a.create_case({{"name", "A"}});
    const std::string shown_open = a.create_case({{"name", "B"}});
    kim::test::sync_all({&a, &b});
    // Concurrently: a closes both, b moves both to monitoring.
    clock_b = millis_of(2020, 4, 1);
    b.set_fields(shown_closed, {{"phase", "monitoring"}});
    clock_a = millis_of(2020, 5, 1);
    a.set_fields(shown_closed, {{"phase", "closed"}});
    a.set_fields(shown_open, {{"phase", "closed"}});
    clock_b = millis_of(2020, 6, 1);
    b.set_fields(shown_open, {{"phase", "monitoring"}});
    clock_a = clock_b = millis_of(2020, 7, 1);  // no change may come from the future
    kim::test::sync_all({&a, &b});
    ASSERT_EQ(a.conflicts().size(), 2u);

    for (Replica* r : {&a, &b}) {
        const auto due = r->retention_due(millis_of(2030, 1, 1));
        ASSERT_EQ(due.size(), 1u) << r->replica_id();
        EXPECT_EQ(due[0].case_id, shown_closed);
        EXPECT_TRUE(due[0].phase_in_conflict);
        EXPECT_EQ(due[0].closed_millis, millis_of(2020, 5, 1));
    }
}

// --- Access request export ------------------------------------------------------

class case_export : public ::testing::Test {
protected:
    TempDir dir{"kim-export"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
};

const json* history_entry(const json& doc, const std::string& change) {
    for (const auto& h : doc.at("history")) {
        if (h.at("change") == change) return &h;
    }
    return nullptr;
}

const json* op_in(const json& entry, const std::string& field) {
    for (const auto& f : entry.at("fields")) {
        if (f.at("field") == field) return &f;
    }
    return nullptr;
}

TEST_F(case_export, holds_the_decrypted_fields_records_conflicts_and_history) {
    const FullCase c = make_full_case(a);  // hamborn-a:1 creates the case ... :7 renames it
    b.import_changes(a.export_changes());
    a.set_fields(c.id, {{"phone", "0203 111"}});
    b.set_fields(c.id, {{"phone", "0203 222"}});
    kim::test::sync_all({&a, &b});

    const json doc = a.export_case(c.id);
    EXPECT_EQ(doc.at("format"), "kimsync-case-export");
    EXPECT_EQ(doc.at("erased"), false);
    EXPECT_EQ(doc.at("site"), "hamborn");
    const json& kase = doc.at("case");
    EXPECT_EQ(kase.at("id"), c.id);
    EXPECT_EQ(kase.at("fields").at("name"), name + " geb. Ybarra");
    EXPECT_EQ(kase.at("fields").at("assessment"), assessment);
    EXPECT_EQ(kase.at("fields").at("phase"), "intake");
    EXPECT_EQ(kase.at("labels").at("name"), "Name");
    EXPECT_FALSE(kase.at("fields").contains("_key")) << "the case key is never exported";
    ASSERT_TRUE(kase.at("conflicts").contains("phone")) << kase.dump(2);
    std::set<std::string> phones;
    for (const auto& h : kase.at("conflicts").at("phone")) phones.insert(h.at("value").get<std::string>());
    EXPECT_EQ(phones, (std::set<std::string>{"0203 111", "0203 222"}));

    ASSERT_EQ(doc.at("records").size(), c.records.size());
    std::set<std::string> texts;
    for (const auto& r : doc.at("records")) {
        EXPECT_EQ(r.at("erased"), false);
        for (const auto& [field, value] : r.at("fields").items()) {
            if (value.is_string()) texts.insert(value.get<std::string>());
        }
    }
    for (const auto& t : {note, goal_text, referral_text, consent_text}) EXPECT_TRUE(texts.count(t)) << t;

    // History: every change of the case and its records, oldest first,
    // with the superseded name readable too.
    EXPECT_EQ(doc.at("history").size(), 1u + c.records.size() + 1u + 2u);
    const json* created = history_entry(doc, "hamborn-a:1");
    ASSERT_NE(created, nullptr);
    EXPECT_EQ(op_in(*created, "name")->at("value"), name);
    EXPECT_FALSE(op_in(*created, "_key")->contains("value")) << "the case key is never exported";
    const std::string time = created->at("time");
    EXPECT_EQ(time.size(), 24u) << time;
    EXPECT_EQ(time.back(), 'Z') << time;
    EXPECT_EQ(time[10], 'T') << time;
    const json* renamed = history_entry(doc, "hamborn-a:7");
    ASSERT_NE(renamed, nullptr);
    EXPECT_EQ(op_in(*renamed, "name")->at("value"), name + " geb. Ybarra");
    EXPECT_EQ(op_in(*renamed, "name")->at("supersedes"), json::array({"hamborn-a:1"}));
    ASSERT_NE(history_entry(doc, "hamborn-b:1"), nullptr);
    std::uint64_t last = 0;
    for (const auto& h : doc.at("history")) {
        EXPECT_GE(h.at("hlc").get<std::uint64_t>(), last);
        last = h.at("hlc").get<std::uint64_t>();
    }
    // Prefix or full id, same export on both replicas (but for the time of export and the replica).
    json on_b = b.export_case(c.id);
    json on_a = doc;
    for (json* d : {&on_a, &on_b}) {
        d->erase("exported_at");
        d->erase("replica");
    }
    EXPECT_EQ(on_a, on_b);
}

TEST_F(case_export, notes_values_it_cannot_read) {
    const std::string id = a.create_case({{"name", name}});
    json stripped = a.export_changes();
    for (auto& ch : stripped["changes"]) {
        for (auto& op : ch["ops"]) {
            if (op["field"] == "name") op.erase("ct");
        }
    }
    b.import_changes(stripped);
    const json doc = b.export_case(id);
    EXPECT_TRUE(doc.at("case").at("fields").at("name").is_null());
    EXPECT_TRUE(doc.at("case").at("unreadable").contains("name"));
    const json* op = op_in(*history_entry(doc, "hamborn-a:1"), "name");
    EXPECT_FALSE(op->contains("value"));
    EXPECT_NE(op->at("note").get<std::string>().find("not been received"), std::string::npos) << *op;
}

TEST_F(case_export, an_erased_case_gives_ids_and_the_erasure_only) {
    const FullCase c = make_full_case(a);
    a.erase(c.id);
    const json doc = a.export_case(c.id);
    EXPECT_EQ(doc.at("erased"), true);
    EXPECT_EQ(doc.at("case").at("id"), c.id);
    ASSERT_EQ(doc.at("case").at("erasure").size(), 1u);
    EXPECT_EQ(doc.at("case").at("erasure")[0].at("change"), "hamborn-a:8");
    EXPECT_EQ(doc.at("records").size(), c.records.size());
    EXPECT_FALSE(doc.contains("history"));
    const std::string text = doc.dump();
    for (const auto& p : plaintexts()) EXPECT_EQ(text.find(p), std::string::npos) << p;
    for (const char* clear : {"intake", "wohnen", "processing"}) EXPECT_EQ(text.find(clear), std::string::npos) << clear;
}

TEST_F(case_export, only_cases_held_here_are_exported) {
    const FullCase c = make_full_case(a);
    EXPECT_THROW(a.export_case(c.records.front()), kim::InputError);
    EXPECT_THROW(a.export_case("00000000-0000-4000-8000-000000000000"), kim::NotFoundError);
}

}  // namespace
