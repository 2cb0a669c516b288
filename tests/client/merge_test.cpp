// The merge rules of DESIGN.md "Merge: convergent, and nothing is lost",
// on two or three replicas of one site.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/errors.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Conflict;
using kim::client::HeadValue;
using kim::client::Replica;
using kim::test::shown;
using kim::test::sync_all;
using kim::test::TempDir;
using nlohmann::json;

using kim::test::origin_of;

// heads[0] is the head with the greatest (hlc, origin).
void expect_shown_is_greatest(const std::vector<HeadValue>& heads) {
    ASSERT_FALSE(heads.empty());
    for (std::size_t i = 1; i < heads.size(); ++i) {
        const bool greater = heads[0].hlc > heads[i].hlc ||
                             (heads[0].hlc == heads[i].hlc && origin_of(heads[0].change) > origin_of(heads[i].change));
        EXPECT_TRUE(greater) << heads[0].change << " (" << heads[0].hlc << ") is shown before " << heads[i].change << " ("
                             << heads[i].hlc << ")";
    }
}

std::set<std::string> values_of(const std::vector<HeadValue>& heads) {
    std::set<std::string> out;
    for (const auto& h : heads) out.insert(h.value);
    return out;
}

// A comparable picture of a replica's conflicts.
std::vector<std::string> describe(const std::vector<Conflict>& conflicts) {
    std::vector<std::string> out;
    for (const auto& c : conflicts) {
        std::string line = c.record + " " + c.kind + " " + c.field + ":";
        for (const auto& h : c.heads) line += " " + h.change + "=" + h.value + (h.readable ? "" : "(unreadable)");
        out.push_back(line);
    }
    return out;
}

class merge : public ::testing::Test {
protected:
    void SetUp() override { sync_all({&a, &b}, 1); }

    // A case created on a and known to both.
    std::string shared_case() {
        const std::string id = a.create_case({{"name", "Amina"}, {"need.wohnen", "1"}});
        sync_all({&a, &b}, 1);
        return id;
    }

    TempDir dir{"kim-merge"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
};

TEST_F(merge, concurrent_edits_of_one_field_conflict_and_show_the_same_value) {
    const std::string id = shared_case();
    a.set_fields(id, {{"name", "Amina A"}, {"phase", "assessment"}});
    b.set_fields(id, {{"name", "Amina B"}, {"phase", "planning"}});
    sync_all({&a, &b});

    for (Replica* r : {&a, &b}) {
        SCOPED_TRACE(r->replica_id());
        const auto conflicts = r->conflicts();
        ASSERT_EQ(conflicts.size(), 2u) << ::testing::PrintToString(describe(conflicts));
        for (const auto& c : conflicts) {
            EXPECT_EQ(c.record, id);
            EXPECT_EQ(c.kind, "case");
            ASSERT_EQ(c.heads.size(), 2u);
            expect_shown_is_greatest(c.heads);
            for (const auto& h : c.heads) EXPECT_TRUE(h.readable);
        }
        EXPECT_EQ(conflicts[0].field, "name");
        EXPECT_EQ(values_of(conflicts[0].heads), (std::set<std::string>{"Amina A", "Amina B"}));
        EXPECT_EQ(conflicts[1].field, "phase");
        EXPECT_EQ(values_of(conflicts[1].heads), (std::set<std::string>{"assessment", "planning"}));
        // The record shows the first head and keeps the other as conflicting.
        const auto view = r->read(id);
        EXPECT_EQ(view.field("name")->shown.change, conflicts[0].heads[0].change);
        EXPECT_EQ(view.field("name")->shown.value, conflicts[0].heads[0].value);
        ASSERT_EQ(view.field("name")->conflicting.size(), 1u);
        EXPECT_EQ(view.field("name")->conflicting[0].value, conflicts[0].heads[1].value);
        EXPECT_EQ(r->status().conflicts, 2u);
    }
    EXPECT_EQ(describe(a.conflicts()), describe(b.conflicts()));
    EXPECT_EQ(a.state_digest(), b.state_digest());
    EXPECT_EQ(shown(a, id, "name"), shown(b, id, "name"));
}

TEST_F(merge, an_ordinary_edit_keeps_the_conflict_and_resolve_clears_it_everywhere) {
    const std::string id = shared_case();
    a.set_fields(id, {{"name", "Amina A"}});
    b.set_fields(id, {{"name", "Amina B"}});
    sync_all({&a, &b});
    const auto before = a.conflicts();
    ASSERT_EQ(before.size(), 1u);
    const std::string loser = before[0].heads[1].value;

    // An ordinary edit supersedes only the shown head: the loser stays.
    a.set_fields(id, {{"name", "Amina edited"}});
    ASSERT_EQ(a.conflicts().size(), 1u) << "an ordinary edit must not silently resolve a conflict";
    EXPECT_EQ(values_of(a.conflicts()[0].heads), (std::set<std::string>{"Amina edited", loser}));
    sync_all({&a, &b});
    for (Replica* r : {&a, &b}) {
        SCOPED_TRACE(r->replica_id());
        const auto c = r->conflicts();
        ASSERT_EQ(c.size(), 1u);
        EXPECT_EQ(values_of(c[0].heads), (std::set<std::string>{"Amina edited", loser}));
        EXPECT_EQ(shown(*r, id, "name"), "Amina edited");
    }

    // A resolve names every head; it clears the conflict here and, after an exchange, there.
    b.resolve(id, "name", "Amina Kovačević");
    EXPECT_TRUE(b.conflicts().empty());
    EXPECT_EQ(a.conflicts().size(), 1u);
    sync_all({&a, &b});
    for (Replica* r : {&a, &b}) {
        SCOPED_TRACE(r->replica_id());
        EXPECT_TRUE(r->conflicts().empty());
        const auto view = r->read(id);
        EXPECT_EQ(shown(view, "name"), "Amina Kovačević");
        EXPECT_TRUE(view.field("name")->conflicting.empty());
        EXPECT_EQ(r->status().conflicts, 0u);
    }
    EXPECT_EQ(a.state_digest(), b.state_digest());

    // No conflict, nothing to resolve.
    const std::string digest = a.state_digest();
    EXPECT_THROW(a.resolve(id, "name", "again"), kim::StateError);
    EXPECT_THROW(a.resolve(id, "phone", "0203"), kim::StateError);
    EXPECT_EQ(a.state_digest(), digest);
}

TEST_F(merge, resolve_of_a_statistical_field_and_of_three_heads) {
    TempDir dir_c{"kim-merge-c"};
    Replica c = kim::test::join_replica(a, dir_c / "c", "hamborn-c");
    sync_all({&a, &b, &c}, 1);
    const std::string id = shared_case();
    sync_all({&a, &b, &c}, 1);
    a.set_fields(id, {{"phase", "assessment"}});
    b.set_fields(id, {{"phase", "planning"}});
    c.set_fields(id, {{"phase", "linking"}});
    sync_all({&a, &b, &c});
    for (Replica* r : {&a, &b, &c}) {
        const auto conflicts = r->conflicts();
        ASSERT_EQ(conflicts.size(), 1u);
        ASSERT_EQ(conflicts[0].heads.size(), 3u);
        expect_shown_is_greatest(conflicts[0].heads);
        EXPECT_EQ(values_of(conflicts[0].heads), (std::set<std::string>{"assessment", "planning", "linking"}));
    }
    EXPECT_THROW(c.resolve(id, "phase", "finished"), kim::InputError) << "a resolve is checked like any write";
    c.resolve(id, "phase", "monitoring");
    sync_all({&a, &b, &c});
    for (Replica* r : {&a, &b, &c}) {
        EXPECT_TRUE(r->conflicts().empty());
        EXPECT_EQ(shown(*r, id, "phase"), "monitoring");
    }
    EXPECT_EQ(a.state_digest(), c.state_digest());
}

TEST_F(merge, different_need_members_never_conflict) {
    const std::string id = shared_case();
    // Topic adds and removes on one replica, other topics on the other.
    a.set_fields(id, {{"need.wohnen", "3"}});
    a.set_fields(id, {{"need.kita", "2"}});
    a.set_fields(id, {{"need.kita", "0"}});
    b.set_fields(id, {{"need.arbeit", "1"}, {"need.deutsch", "2"}});
    b.set_fields(id, {{"need.arbeit", "0"}});
    sync_all({&a, &b});
    for (Replica* r : {&a, &b}) {
        SCOPED_TRACE(r->replica_id());
        EXPECT_TRUE(r->conflicts().empty()) << ::testing::PrintToString(describe(r->conflicts()));
        const auto v = r->read(id);
        EXPECT_EQ(shown(v, "need.wohnen"), "3");
        EXPECT_EQ(shown(v, "need.kita"), "0");
        EXPECT_EQ(shown(v, "need.arbeit"), "0");
        EXPECT_EQ(shown(v, "need.deutsch"), "2");
        EXPECT_EQ(v.field("need.sgb2"), nullptr);
    }
    EXPECT_EQ(a.state_digest(), b.state_digest());

    // The same member, concurrently: that is a conflict (the control).
    a.set_fields(id, {{"need.wohnen", "0"}});
    b.set_fields(id, {{"need.wohnen", "2"}});
    sync_all({&a, &b});
    ASSERT_EQ(a.conflicts().size(), 1u);
    EXPECT_EQ(a.conflicts()[0].field, "need.wohnen");
    EXPECT_EQ(describe(a.conflicts()), describe(b.conflicts()));
}

TEST_F(merge, contacts_never_conflict) {
    const std::string id = shared_case();
    const std::string na = a.add_record("contact", id, {{"text", "Anruf"}, {"mode", "phone"}});
    const std::string nb = b.add_record("contact", id, {{"text", "Besuch"}, {"mode", "home_visit"}});
    sync_all({&a, &b});
    for (Replica* r : {&a, &b}) {
        EXPECT_TRUE(r->conflicts().empty());
        EXPECT_EQ(r->list("contact").size(), 2u);
        EXPECT_EQ(shown(*r, na, "text"), "Anruf");
        EXPECT_EQ(shown(*r, nb, "text"), "Besuch");
    }
}

TEST_F(merge, erase_is_terminal_and_takes_the_records_of_the_case) {
    const std::string id = a.create_case({{"name", "Amina"}, {"address", "Weseler Str. 12"}});
    const std::string note = a.add_record("contact", id, {{"text", "Erstgespräch"}});
    const std::string goal = a.add_record("goal", id, {{"text", "Wohnung"}, {"field", "wohnen"}});
    const std::string other = a.create_case({{"name", "Other"}});
    const std::string other_note = a.add_record("contact", other, {{"text", "bleibt"}});
    sync_all({&a, &b});
    ASSERT_GT(kim::test::ciphertexts_of_record(dir / "b", id), 0);

    // Concurrently: a erases the case, b keeps working on it.
    a.erase(id);
    b.set_fields(id, {{"name", "Amina K."}, {"phase", "planning"}});
    b.set_fields(goal, {{"status", "in_progress"}, {"text", "Wohnung in Hamborn"}});
    const std::string late_note = b.add_record("contact", id, {{"text", "Nachtrag"}});
    const std::string late_goal = b.add_record("goal", id, {{"text", "Kita-Platz"}});
    sync_all({&a, &b});

    const auto total = a.status().all_changes;
    EXPECT_EQ(total, 10u) << "every change is accepted into the log";
    EXPECT_EQ(b.status().all_changes, total);
    for (Replica* r : {&a, &b}) {
        SCOPED_TRACE(r->replica_id());
        for (const auto& rec : {id, note, goal, late_note, late_goal}) {
            const auto v = r->read(rec);
            EXPECT_TRUE(v.erased) << rec;
            EXPECT_TRUE(v.fields.empty()) << rec << ": an erased record shows nothing";
            EXPECT_THROW(r->erase(rec), kim::StateError);
        }
        EXPECT_THROW(r->set_fields(id, {{"phase", "closed"}}), kim::StateError);
        EXPECT_THROW(r->add_record("contact", id, {{"text", "too late"}}), kim::StateError);
        EXPECT_TRUE(r->conflicts().empty());
        const auto cases = r->list("case");
        ASSERT_EQ(cases.size(), 1u);
        EXPECT_EQ(cases[0].id, other);
        ASSERT_EQ(r->list("contact").size(), 1u);
        EXPECT_EQ(r->list("contact")[0].id, other_note);
        EXPECT_TRUE(r->list("goal").empty());
        EXPECT_EQ(r->status().cases, 1u);
        EXPECT_EQ(shown(*r, other_note, "text"), "bleibt");
    }
    EXPECT_EQ(a.state_digest(), b.state_digest());

    // Crypto-shredding: no ciphertext of the case or its records is held anywhere...
    for (const char* home : {"a", "b"}) {
        for (const auto& rec : {id, note, goal, late_note, late_goal}) {
            EXPECT_EQ(kim::test::ciphertexts_of_record(dir / home, rec), 0) << home << " " << rec;
        }
        EXPECT_GT(kim::test::ciphertexts_of_record(dir / home, other), 0) << "the other case keeps its ciphertexts";
    }
    // ... nor travels on: the envelopes do (they are signed), their ciphertexts do not.
    const std::set<std::string> erased{id, note, goal, late_note, late_goal};
    for (Replica* r : {&a, &b}) {
        std::size_t envelopes = 0;
        const json exported = r->export_changes();
        for (const auto& c : exported["changes"]) {
            if (!erased.count(c["record"].get<std::string>())) continue;
            ++envelopes;
            for (const auto& op : c["ops"]) EXPECT_FALSE(op.contains("ct")) << c.dump();
        }
        EXPECT_EQ(envelopes, 8u);
    }

    // A third replica that learns everything later sees the same.
    TempDir dir_c{"kim-merge-c"};
    Replica c = kim::test::join_replica(a, dir_c / "c", "hamborn-c");
    c.import_changes(b.export_changes());
    EXPECT_EQ(c.state_digest(), a.state_digest());
    EXPECT_TRUE(c.read(id).erased);
    EXPECT_EQ(kim::test::ciphertexts_of_record(dir_c / "c", id), 0);
}

TEST_F(merge, erasing_a_record_of_a_case_leaves_the_case) {
    const std::string id = shared_case();
    const std::string note = a.add_record("contact", id, {{"text", "falsch erfasst"}});
    const std::string keep = a.add_record("contact", id, {{"text", "richtig"}});
    sync_all({&a, &b});
    b.erase(note);
    sync_all({&a, &b});
    for (Replica* r : {&a, &b}) {
        EXPECT_TRUE(r->read(note).erased);
        EXPECT_FALSE(r->read(id).erased);
        EXPECT_EQ(shown(*r, id, "name"), "Amina");
        EXPECT_EQ(shown(*r, keep, "text"), "richtig");
    }
    EXPECT_EQ(kim::test::ciphertexts_of_record(dir / "a", note), 0);
    EXPECT_GT(kim::test::ciphertexts_of_record(dir / "a", id), 0);
}

TEST_F(merge, concurrent_erasures_agree) {
    const std::string id = shared_case();
    a.erase(id);
    b.erase(id);
    sync_all({&a, &b});
    EXPECT_TRUE(a.read(id).erased);
    EXPECT_TRUE(b.read(id).erased);
    EXPECT_TRUE(a.conflicts().empty());
    EXPECT_EQ(a.state_digest(), b.state_digest());
}

TEST_F(merge, importing_the_same_file_twice_is_idempotent) {
    const std::string id = b.create_case({{"name", "Amina"}});
    b.set_fields(id, {{"phase", "assessment"}});
    b.add_record("contact", id, {{"text", "Erstgespräch"}});
    const json file = b.export_changes();
    ASSERT_EQ(file["changes"].size(), 3u);

    const auto first = a.import_changes(file);
    EXPECT_EQ(first.received, 3u);
    EXPECT_EQ(first.applied, 3u);
    EXPECT_EQ(first.duplicates, 0u);
    const std::string digest = a.state_digest();
    const json exported = a.export_changes();

    const auto second = a.import_changes(file);
    EXPECT_EQ(second.received, 3u);
    EXPECT_EQ(second.applied, 0u);
    EXPECT_EQ(second.duplicates, 3u);
    EXPECT_EQ(second.introduced, 0u);
    EXPECT_EQ(a.state_digest(), digest);
    EXPECT_EQ(a.export_changes(), exported);
    EXPECT_EQ(a.status().all_changes, 3u);

    // Duplicates inside one file, and a's own changes coming back, are harmless too.
    json doubled = file;
    for (const auto& c : file["changes"]) doubled["changes"].push_back(c);
    const auto third = a.import_changes(doubled);
    EXPECT_EQ(third.duplicates, 6u);
    b.import_changes(a.export_changes());
    const auto back = b.import_changes(a.export_changes());
    EXPECT_EQ(back.applied, 0u);
    EXPECT_EQ(a.state_digest(), digest);
    EXPECT_EQ(b.state_digest(), digest);
}

TEST_F(merge, changes_in_reverse_order_wait_for_their_gap_and_converge) {
    const std::string id = b.create_case({{"name", "Amina"}, {"need.wohnen", "2"}});
    b.set_fields(id, {{"name", "Amina K."}});
    const std::string note = b.add_record("contact", id, {{"text", "Erstgespräch"}});
    b.set_fields(id, {{"need.wohnen", "0"}, {"phase", "planning"}});
    b.set_fields(id, {{"name", "Amina Kovačević"}});
    b.erase(note);
    const json file = b.export_changes();
    ASSERT_EQ(file["changes"].size(), 6u);

    for (std::uint64_t seq = 6; seq >= 2; --seq) {
        const auto report = a.import_changes(kim::test::filter_changes(file, [&](const json& c) { return c["seq"] == seq; }));
        EXPECT_EQ(report.applied, 0u) << "seq " << seq;
        EXPECT_EQ(report.waiting, 7 - seq) << "seq " << seq;
        EXPECT_EQ(a.status().waiting_changes, 7 - seq);
        EXPECT_THROW(a.read(id), kim::NotFoundError) << "nothing is applied before the gap closes";
    }
    // Held changes travel on in exports, so a relay does not lose them.
    EXPECT_EQ(a.export_changes()["changes"].size(), 5u);
    const auto last = a.import_changes(kim::test::filter_changes(file, [](const json& c) { return c["seq"] == 1; }));
    EXPECT_EQ(last.applied, 6u);
    EXPECT_EQ(last.waiting, 0u);
    EXPECT_EQ(a.status().waiting_changes, 0u);
    EXPECT_EQ(a.state_digest(), b.state_digest());
    EXPECT_EQ(shown(a, id, "name"), "Amina Kovačević");
    EXPECT_TRUE(a.read(note).erased);

    // A relay: c gets the changes only through a's export made while a still waited.
    TempDir dir_c{"kim-merge-c"};
    Replica c = kim::test::join_replica(a, dir_c / "c", "hamborn-c");
    c.import_changes(kim::test::filter_changes(file, [](const json& ch) { return ch["seq"] != 1; }));
    EXPECT_EQ(c.status().waiting_changes, 5u);
    c.import_changes(a.export_changes());
    EXPECT_EQ(c.status().waiting_changes, 0u);
    EXPECT_EQ(c.state_digest(), b.state_digest());
}

// Changes held for a gap are on disk too: once their record (or its case) is
// erased here, they are kept without ciphertexts and travel on without them.
TEST_F(merge, held_changes_of_an_erased_case_keep_no_ciphertext) {
    TempDir dir_c{"kim-merge-c"};
    Replica c = kim::test::join_replica(a, dir_c / "c", "hamborn-c");
    sync_all({&a, &b, &c}, 1);
    const std::string id = shared_case();
    sync_all({&a, &b, &c}, 1);
    b.set_fields(id, {{"name", "held back"}});                                   // hamborn-b:1
    b.set_fields(id, {{"address", "Weseler Str. 12"}});                          // hamborn-b:2
    const std::string note = b.add_record("contact", id, {{"text", "Nachtrag"}});  // hamborn-b:3
    const json from_b = b.export_changes();
    const auto after_first = [](const json& ch) { return ch["origin"] != "hamborn-b" || ch["seq"] != 1; };

    auto held_ciphertexts = [](const fs::path& home) {
        kim::test::SqliteFile db(home / Replica::database_file);
        return db.scalar("SELECT COUNT(*) FROM pending WHERE body LIKE '%\"ct\":%'");
    };
    auto exported_ciphertexts = [](Replica& r, const std::set<std::string>& records) {
        std::size_t n = 0;
        const json exported = r.export_changes();
        for (const auto& ch : exported["changes"]) {
            if (!records.count(ch["record"].get<std::string>())) continue;
            for (const auto& op : ch["ops"]) n += op.contains("ct") ? 1 : 0;
        }
        return n;
    };

    // c holds b:2 and b:3 (b:1 is missing) with their ciphertexts ...
    c.import_changes(kim::test::filter_changes(from_b, after_first));
    ASSERT_EQ(c.status().waiting_changes, 2u);
    ASSERT_EQ(held_ciphertexts(dir_c / "c"), 2);
    // ... until it learns that the case was erased: then they lose them.
    a.erase(id);
    c.import_changes(a.export_changes());
    EXPECT_TRUE(c.read(id).erased);
    EXPECT_EQ(c.status().waiting_changes, 2u);
    EXPECT_EQ(held_ciphertexts(dir_c / "c"), 0);
    EXPECT_EQ(exported_ciphertexts(c, {id, note}), 0u);

    // a erased the case before b's changes arrive: it holds them without ciphertexts at once.
    a.import_changes(kim::test::filter_changes(from_b, after_first));
    EXPECT_EQ(a.status().waiting_changes, 2u);
    EXPECT_EQ(held_ciphertexts(dir / "a"), 0);
    EXPECT_EQ(exported_ciphertexts(a, {id, note}), 0u);

    // When the gap closes everything converges, still without them.
    sync_all({&a, &b, &c});
    for (Replica* r : {&a, &b, &c}) {
        EXPECT_EQ(r->status().waiting_changes, 0u);
        EXPECT_TRUE(r->read(note).erased);
        EXPECT_EQ(exported_ciphertexts(*r, {id, note}), 0u);
    }
    EXPECT_EQ(a.state_digest(), b.state_digest());
    EXPECT_EQ(a.state_digest(), c.state_digest());
}

// The heads do not depend on the order in which changes arrive: a successor
// that arrives before the change it supersedes still supersedes it.
TEST_F(merge, a_successor_arriving_before_its_parent_still_supersedes_it) {
    TempDir dir_c{"kim-merge-c"};
    Replica c = kim::test::join_replica(a, dir_c / "c", "hamborn-c");
    sync_all({&a, &b, &c}, 1);
    const std::string id = shared_case();
    b.set_fields(id, {{"name", "by b"}, {"need.kita", "2"}});
    a.import_changes(b.export_changes());
    a.set_fields(id, {{"name", "by a, after b"}, {"need.kita", "0"}});
    // c gets a's changes first, then b's.
    c.import_changes(kim::test::filter_changes(a.export_changes(), [](const json& ch) { return ch["origin"] == "hamborn-a"; }));
    c.import_changes(b.export_changes());
    EXPECT_TRUE(c.conflicts().empty()) << ::testing::PrintToString(describe(c.conflicts()));
    EXPECT_EQ(shown(c, id, "name"), "by a, after b");
    EXPECT_EQ(shown(c, id, "need.kita"), "0");
    EXPECT_EQ(c.state_digest(), a.state_digest());
}

}  // namespace

