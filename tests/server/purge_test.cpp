// Erasure that keeps the proof (GDPR Art. 17): a change carrying `_erased`
// purges the stored ciphertexts of its record and, for a case, of the case's
// records; changes that come later for an erased record are kept without
// them. Hashes, chain and signatures stay valid, and the purged bytes are in
// no file of the data folder. Real store, real keys, real files.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server_test_support.hpp"
#include "sync/sync_service.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"

namespace {

using kim::Change;
using kim::FieldOp;
using kim::test::TempDir;
using kim::test::TestReplica;
using nlohmann::json;

FieldOp sealed_text(const Change& c, const std::string& field, const std::string& text) {
    FieldOp op;
    op.field = field;
    op.ct = kim::crypto::aead_encrypt(kim::crypto::random_key(), kim::as_bytes(text),
                                      kim::field_associated_data(c.origin, c.seq, c.record, field));
    return op;
}

FieldOp clear(const std::string& field, json value) {
    FieldOp op;
    op.field = field;
    op.value = std::move(value);
    return op;
}

// A new goal of `case_id` with an encrypted text.
Change new_goal(TestReplica& r, const std::string& case_id) {
    return r.next_change([&](Change& c) {
        c.kind = "goal";
        c.ops = {clear("case", case_id), clear("status", "open"), sealed_text(c, "text", "Wohnung finden")};
    });
}

// An edit of an existing goal (no case link: only the creating change names it).
Change goal_edit(TestReplica& r, const std::string& goal_id) {
    return r.next_change([&](Change& c) {
        c.record = goal_id;
        c.kind = "goal";
        c.ops = {clear("status", "in_progress"), sealed_text(c, "text", "Wohnung gefunden")};
    });
}

Change case_edit(TestReplica& r, const std::string& case_id) {
    return r.next_change([&](Change& c) {
        c.record = case_id;
        c.ops = {sealed_text(c, "assessment", "vertraulich"), clear("phase", "planning")};
    });
}

Change erasure(TestReplica& r, const std::string& record, const std::string& kind) {
    return r.next_change([&](Change& c) {
        c.record = record;
        c.kind = kind;
        c.ops = {clear("_erased", true)};
    });
}

// The base64 text of every ciphertext of `c`, as it stands in an envelope.
std::vector<std::string> ciphertexts_of(const Change& c) {
    std::vector<std::string> out;
    for (const auto& op : c.ops) {
        if (op.ct) out.push_back(kim::base64_encode(*op.ct));
    }
    return out;
}

std::string file_bytes(const std::filesystem::path& file) { return kim::test::read_file(file); }

class purge : public ::testing::Test {
protected:
    void SetUp() override {
        store = kim::test::fresh_store(dir);
        for (const auto* r : {&a, &b, &c}) store->add_replica(r->enrolment());
        sync = std::make_unique<kim::server::SyncService>(*store, kim::Catalogue::builtin(),
                                                          [] { return kim::test::test_now_millis; });
    }

    kim::server::PushOutcome push(const TestReplica& who, const std::vector<Change>& changes) {
        auto outcome = sync->push(who.caller(), kim::test::push_body(changes));
        EXPECT_TRUE(outcome.response.stored) << (outcome.response.results.empty() ? "" : outcome.response.results[0].message);
        return outcome;
    }

    // server_seq → stored envelope.
    std::map<std::uint64_t, std::string> envelopes() {
        std::map<std::uint64_t, std::string> out;
        for (auto& row : store->read_log(0, 100'000, SIZE_MAX).rows) out[row.server_seq] = std::move(row.envelope);
        return out;
    }

    // The stored copy of `original` is `original` without its ct, byte for
    // byte, still hashes and verifies as before.
    void expect_purged(const std::string& stored, const Change& original, const TestReplica& signer) {
        EXPECT_EQ(stored, kim::change_to_json(original, /*with_ct=*/false).dump()) << original.id();
        const Change back = kim::change_from_json(json::parse(stored));
        EXPECT_EQ(kim::change_hash(back), kim::change_hash(original)) << original.id();
        EXPECT_TRUE(kim::verify_change_signature(back, signer.public_key())) << original.id();
        for (const auto& op : back.ops) EXPECT_FALSE(op.ct.has_value()) << original.id() << " " << op.field;
    }

    void expect_intact(const std::string& stored, const Change& original) {
        EXPECT_EQ(stored, kim::change_to_json(original, /*with_ct=*/true).dump()) << original.id();
    }

    // Every byte of every file in the data folder.
    std::vector<std::pair<std::string, std::string>> data_files() {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "data")) {
            if (e.is_regular_file()) out.emplace_back(e.path().filename().string(), file_bytes(e.path()));
        }
        return out;
    }

    void expect_in_no_file(const std::vector<std::string>& secrets, const std::string& when) {
        if (kim::test::on_postgres()) {
            // The cluster's files are PostgreSQL's: old row versions stay in
            // them until VACUUM, and in its WAL (docs/operations.md says so).
            // What the store itself answers must hold none.
            kim::test::StoreSql db(kim::test::store_location(dir));
            for (const auto& secret : secrets) {
                EXPECT_EQ(db.rows("SELECT COUNT(*) FROM log WHERE strpos(envelope, '" + secret + "') > 0").at(0).at(0), "0")
                    << when << ": a purged ciphertext is still in the log";
            }
            return;
        }
        for (const auto& [name, bytes] : data_files()) {
            for (const auto& s : secrets) {
                EXPECT_EQ(bytes.find(s), std::string::npos) << when << ": a purged ciphertext is still in " << name;
                // A part of it, in case a page boundary split the text.
                EXPECT_EQ(bytes.find(s.substr(0, 24)), std::string::npos) << when << ": part of one in " << name;
            }
        }
    }

    TempDir dir;
    std::unique_ptr<kim::server::Store> store;
    std::unique_ptr<kim::server::SyncService> sync;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica b{"hamborn-b", "hamborn"};
    TestReplica c{"hamborn-c", "hamborn"};
};

TEST_F(purge, erasing_a_case_purges_it_and_its_records_and_keeps_the_proof) {
    const Change kase = a.next_change();
    const Change edit = case_edit(a, kase.record);
    const Change goal = new_goal(a, kase.record);
    const Change other = a.next_change();  // another case: untouched
    const Change other_goal = new_goal(a, other.record);
    push(a, {kase, edit, goal, other, other_goal});
    const auto before = store->read_log(0, 100, SIZE_MAX).rows;

    const auto outcome = push(a, {erasure(a, kase.record, "case")});
    EXPECT_EQ(outcome.purged, 3u);  // the name, the assessment, the goal's text

    const auto after = store->read_log(0, 100, SIZE_MAX).rows;
    ASSERT_EQ(after.size(), 6u);
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].chain, before[i].chain);
    expect_purged(after[0].envelope, kase, a);
    expect_purged(after[1].envelope, edit, a);
    expect_purged(after[2].envelope, goal, a);
    expect_intact(after[3].envelope, other);
    expect_intact(after[4].envelope, other_goal);
    EXPECT_EQ(store->summary().chain, after[5].chain);

    std::vector<std::string> purged;
    for (const auto* ch : {&kase, &edit, &goal}) {
        for (auto& s : ciphertexts_of(*ch)) purged.push_back(std::move(s));
    }
    ASSERT_EQ(purged.size(), 3u);
    // Already while the server runs: the purge truncated the -wal.
    expect_in_no_file(purged, "store open");
    store.reset();
    expect_in_no_file(purged, "store closed");
    // The search does find ciphertexts that were not purged.
    if (kim::test::on_postgres()) {
        kim::test::StoreSql db(kim::test::store_location(dir));
        EXPECT_EQ(db.rows("SELECT COUNT(*) FROM log WHERE strpos(envelope, '" + ciphertexts_of(other)[0] + "') > 0")
                      .at(0)
                      .at(0),
                  "1");
        return;
    }
    bool found = false;
    for (const auto& [name, bytes] : data_files()) found = found || bytes.find(ciphertexts_of(other)[0]) != std::string::npos;
    EXPECT_TRUE(found) << "the intact case's ciphertext should be in server.db";
}

TEST_F(purge, changes_arriving_after_the_erasure_are_kept_without_ciphertexts) {
    const Change kase = a.next_change();
    push(a, {kase});
    // b creates a goal of the case and edits it, not yet pushed; c (which
    // saw b's goal by file) edits it and pushes first: the server cannot yet
    // know that the goal belongs to the case.
    const Change goal = new_goal(b, kase.record);
    const Change b_edit = goal_edit(b, goal.record);
    const Change c_edit = goal_edit(c, goal.record);
    push(c, {c_edit});
    expect_intact(envelopes().at(2), c_edit);

    push(a, {erasure(a, kase.record, "case")});
    // c's edit is still not known to be the case's: it names no case.
    expect_intact(envelopes().at(2), c_edit);

    // b's changes arrive after the erasure, with their ciphertexts (b had
    // not pulled the erasure yet): stored without them, and the goal's
    // creating change links it to the erased case, which purges c's edit too.
    const auto late = push(b, {goal, b_edit});
    EXPECT_EQ(late.purged, 3u);  // goal text, b's edit text, c's edit text
    const auto stored = envelopes();
    ASSERT_EQ(stored.size(), 5u);
    expect_purged(stored.at(1), kase, a);
    expect_purged(stored.at(2), c_edit, c);
    expect_purged(stored.at(4), goal, b);
    expect_purged(stored.at(5), b_edit, b);

    // A change to the erased case itself, pushed later: also without ct.
    const auto edit_after = case_edit(c, kase.record);
    EXPECT_EQ(push(c, {edit_after}).purged, 1u);
    expect_purged(envelopes().at(6), edit_after, c);

    // A repeated push of a purged change is a duplicate and restores nothing.
    const auto again = sync->push(b.caller(), kim::test::push_body({goal, b_edit}));
    ASSERT_TRUE(again.response.stored);
    EXPECT_EQ(again.duplicates, 2u);
    expect_purged(envelopes().at(4), goal, b);

    std::vector<std::string> purged;
    for (const auto* ch : {&kase, &goal, &b_edit, &c_edit, &edit_after}) {
        for (auto& s : ciphertexts_of(*ch)) purged.push_back(std::move(s));
    }
    store.reset();
    expect_in_no_file(purged, "store closed");
}

TEST_F(purge, erasing_one_record_purges_only_that_record) {
    const Change kase = a.next_change();
    const Change goal = new_goal(a, kase.record);
    const Change goal_changed = goal_edit(a, goal.record);
    const Change sibling = new_goal(a, kase.record);
    push(a, {kase, goal, goal_changed, sibling});

    const auto outcome = push(a, {erasure(a, goal.record, "goal")});
    EXPECT_EQ(outcome.purged, 2u);
    const auto stored = envelopes();
    expect_intact(stored.at(1), kase);
    expect_purged(stored.at(2), goal, a);
    expect_purged(stored.at(3), goal_changed, a);
    expect_intact(stored.at(4), sibling);

    // Later changes to the case and the sibling keep their ciphertexts.
    const Change later = case_edit(a, kase.record);
    EXPECT_EQ(push(a, {later}).purged, 0u);
    expect_intact(envelopes().at(6), later);

    std::vector<std::string> purged = ciphertexts_of(goal);
    for (auto& s : ciphertexts_of(goal_changed)) purged.push_back(std::move(s));
    store.reset();
    expect_in_no_file(purged, "store closed");
}

TEST_F(purge, erasures_are_per_site) {
    TestReplica h{"hochfeld-a", "hochfeld"};
    store->add_replica(h.enrolment());
    const Change kase = a.next_change();
    push(a, {kase});
    // Another site's change naming the same record id (ids are random; a
    // site cannot reach into another's records).
    const Change foreign = h.next_change([&](Change& ch) { ch.record = kase.record; });
    push(h, {foreign});
    push(a, {erasure(a, kase.record, "case")});
    const auto stored = envelopes();
    expect_purged(stored.at(1), kase, a);
    expect_intact(stored.at(2), foreign);
}

}  // namespace
