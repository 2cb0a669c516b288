// Applying pulled pages: every change verified before any is applied, the
// page and its cursor in one transaction, nothing applied twice. Real
// changes come from other replicas' exports, laid out as the server sends them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/errors.hpp"
#include "replica_fixture.hpp"
#include "temp_dir.hpp"

namespace {

using kim::client::Replica;
using kim::protocol::PullResponse;
using kim::test::TempDir;
using nlohmann::json;

// A pull page holding `changes` (envelopes) and the introductions of `file`.
PullResponse page_of(const json& file, json changes, std::uint64_t next, bool more = false) {
    PullResponse p;
    p.changes = std::move(changes);
    p.introductions = file.at("introductions");
    p.next = next;
    p.more = more;
    return p;
}

bool knows(Replica& r, const std::string& replica) {
    const auto peers = r.status().peers;
    return std::find(peers.begin(), peers.end(), replica) != peers.end();
}

PullResponse page_of(const json& file, std::uint64_t next, bool more = false) { return page_of(file, file.at("changes"), next, more); }

class sync_pull : public ::testing::Test {
protected:
    void SetUp() override {
        case_id = a.create_case({{"name", "Amina Haddad"}, {"need.wohnen", "2"}});
        a.set_fields(case_id, {{"phase", "assessment"}, {"assessment", "Wohnungssuche dringend"}});
        a.add_record("contact", case_id, {{"text", "Erstgespräch"}, {"mode", "in_person"}});
        from_a = a.export_changes();
        ASSERT_EQ(from_a["changes"].size(), 3u);
    }

    // b refuses `page` with an IntegrityError or InputError naming `reason`,
    // and is exactly as before: nothing applied, the cursor unchanged.
    void expect_refused(const PullResponse& page, const std::string& reason) {
        const std::string digest = b.state_digest();
        const auto status = b.status();
        const auto state = b.sync_state();
        try {
            b.apply_pulled(page);
            ADD_FAILURE() << "a bad page was applied (" << reason << ")";
        } catch (const kim::IntegrityError& e) {
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        } catch (const kim::InputError& e) {
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        }
        EXPECT_EQ(b.state_digest(), digest);
        EXPECT_EQ(b.status().all_changes, status.all_changes);
        EXPECT_EQ(b.status().waiting_changes, status.waiting_changes);
        EXPECT_EQ(b.status().peers, status.peers);
        EXPECT_EQ(b.sync_state().pull_cursor, state.pull_cursor);
    }

    TempDir dir{"kim-sync-pull"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
    std::string case_id;
    json from_a;
};

TEST_F(sync_pull, a_page_is_applied_with_its_cursor) {
    const auto report = b.apply_pulled(page_of(from_a, 17));
    EXPECT_EQ(report.received, 3u);
    EXPECT_EQ(report.applied, 3u);
    EXPECT_EQ(report.introduced, 1u);
    EXPECT_EQ(b.sync_state().pull_cursor, 17u);
    EXPECT_EQ(b.state_digest(), a.state_digest());
    EXPECT_EQ(kim::test::shown(b, case_id, "assessment"), "Wohnungssuche dringend");
    // Pulled changes are not b's to push.
    EXPECT_EQ(b.sync_state().outbox, 0u);
}

TEST_F(sync_pull, a_page_received_again_applies_nothing_twice) {
    // A kim killed after the commit but before it asked for the next page
    // asks again from its stored cursor and may get overlapping pages.
    b.apply_pulled(page_of(from_a, 10));
    const std::string digest = b.state_digest();
    const auto again = b.apply_pulled(page_of(from_a, 10));
    EXPECT_EQ(again.applied, 0u);
    EXPECT_EQ(again.duplicates, 3u);
    EXPECT_EQ(b.state_digest(), digest);
    EXPECT_EQ(b.status().all_changes, 3u);
    // An older page (another kim process was ahead) never moves the cursor back.
    b.apply_pulled(page_of(from_a, 4));
    EXPECT_EQ(b.sync_state().pull_cursor, 10u);
}

TEST_F(sync_pull, pages_in_pieces_converge_and_a_gap_waits_for_its_page) {
    const json& changes = from_a["changes"];
    // The page with a:2 and a:3 comes first (say, a second server path); a:1 later.
    auto report = b.apply_pulled(page_of(from_a, json::array({changes[1], changes[2]}), 5, true));
    EXPECT_EQ(report.applied, 0u);
    EXPECT_EQ(report.waiting, 2u);
    EXPECT_EQ(b.sync_state().pull_cursor, 5u);
    report = b.apply_pulled(page_of(from_a, json::array({changes[0]}), 6));
    EXPECT_EQ(report.applied, 3u);
    EXPECT_EQ(report.waiting, 0u);
    EXPECT_EQ(b.state_digest(), a.state_digest());
}

TEST_F(sync_pull, one_forged_signature_refuses_the_whole_page_and_keeps_the_cursor) {
    b.apply_pulled(page_of(from_a, json::array(), 3));  // an empty page moves the cursor
    ASSERT_EQ(b.sync_state().pull_cursor, 3u);
    json forged = from_a["changes"];
    forged[1]["sig"] = kim::test::flip_base64(forged[1]["sig"].get<std::string>(), 7);
    expect_refused(page_of(from_a, forged, 9), "signature");
    // All or nothing: the valid first change did not get in either.
    EXPECT_THROW(b.read(case_id), kim::NotFoundError);
    // The honest page afterwards is applied in full.
    EXPECT_EQ(b.apply_pulled(page_of(from_a, 9)).applied, 3u);
    EXPECT_EQ(b.sync_state().pull_cursor, 9u);
}

TEST_F(sync_pull, an_altered_value_or_ciphertext_is_refused) {
    json altered = from_a["changes"];
    for (auto& op : altered[0]["ops"]) {
        if (op["field"] == "need.wohnen") op["value"] = "3";
    }
    expect_refused(page_of(from_a, altered, 9), "signature");
    altered = from_a["changes"];
    for (auto& op : altered[0]["ops"]) {
        if (op["field"] == "name") op["ct"] = kim::test::flip_base64(op["ct"].get<std::string>(), 30);
    }
    expect_refused(page_of(from_a, altered, 9), "ciphertext");
}

TEST_F(sync_pull, a_forged_introduction_is_skipped_with_its_changes) {
    // The server can withhold changes anyway; what it must never achieve is
    // getting one applied. A MAC that does not verify leaves a unknown here.
    PullResponse page = page_of(from_a, 9);
    page.introductions[0]["mac"] = kim::test::flip_base64(page.introductions[0]["mac"].get<std::string>(), 2);
    auto report = b.apply_pulled(page);
    EXPECT_EQ(report.applied, 0u);
    EXPECT_EQ(report.introduced, 0u);
    EXPECT_EQ(report.unvouched, 3u);
    ASSERT_EQ(report.warnings.size(), 1u);
    EXPECT_NE(report.warnings[0].find("not vouch"), std::string::npos) << report.warnings[0];
    EXPECT_THROW(b.read(case_id), kim::NotFoundError);
    EXPECT_EQ(b.status().all_changes, 0u);
    EXPECT_EQ(b.status().waiting_changes, 0u);  // not held either
    EXPECT_EQ(b.sync_state().pull_cursor, 9u);
    // Without any introduction: a's signature is not one b may trust.
    page = page_of(from_a, 10);
    page.introductions = json::array();
    report = b.apply_pulled(page);
    EXPECT_EQ(report.unvouched, 3u);
    ASSERT_EQ(report.warnings.size(), 1u);
    EXPECT_NE(report.warnings[0].find("hamborn-a"), std::string::npos) << report.warnings[0];
    EXPECT_NE(report.warnings[0].find("--from-start"), std::string::npos) << report.warnings[0];
    EXPECT_THROW(b.read(case_id), kim::NotFoundError);
    // Skipped is recoverable: pulled again (kim sync --from-start) with the
    // honest introduction, everything is applied.
    report = b.apply_pulled(page_of(from_a, 11));
    EXPECT_EQ(report.applied, 3u);
    EXPECT_EQ(report.unvouched, 0u);
    EXPECT_EQ(b.state_digest(), a.state_digest());
}

TEST_F(sync_pull, a_sibling_set_up_without_join_does_not_block_the_page) {
    // A second laptop made with `kim init --site hamborn` but without --join:
    // a site key of its own, enrolled by the server, pushing and introduced.
    Replica s = kim::test::make_replica(dir / "s", "hamborn", "hamborn-s");
    const std::string other = s.create_case({{"name", "Ohne Join"}});
    s.set_fields(other, {{"phase", "assessment"}});
    const json from_s = s.export_changes();
    ASSERT_EQ(from_s["changes"].size(), 2u);

    PullResponse page = page_of(from_a, 12);
    page.introductions.push_back(from_s["introductions"][0]);
    // The server's order: the sibling's changes between a's.
    page.changes = json::array({from_a["changes"][0], from_s["changes"][0], from_a["changes"][1], from_s["changes"][1],
                                from_a["changes"][2]});
    const auto report = b.apply_pulled(page);
    EXPECT_EQ(report.received, 5u);
    EXPECT_EQ(report.applied, 3u);
    EXPECT_EQ(report.unvouched, 2u);
    EXPECT_EQ(report.introduced, 1u);  // a only
    EXPECT_EQ(b.sync_state().pull_cursor, 12u);
    EXPECT_EQ(b.state_digest(), a.state_digest());
    EXPECT_THROW(b.read(other), kim::NotFoundError);
    EXPECT_FALSE(knows(b, "hamborn-s"));
    // One warning naming the sibling and what to do, not one per change.
    ASSERT_EQ(report.warnings.size(), 1u);
    const std::string& w = report.warnings[0];
    EXPECT_NE(w.find("hamborn-s"), std::string::npos) << w;
    EXPECT_NE(w.find("without `--join`"), std::string::npos) << w;
    EXPECT_NE(w.find("kim init --join"), std::string::npos) << w;

    // Later pages keep relaying it: a's new change still gets in.
    a.set_fields(case_id, {{"phase", "planning"}});
    const json later = a.export_changes();
    PullResponse next = page_of(later, json::array({later["changes"][3], from_s["changes"][1]}), 13);
    next.introductions.push_back(from_s["introductions"][0]);
    const auto second = b.apply_pulled(next);
    EXPECT_EQ(second.applied, 1u);
    EXPECT_EQ(second.unvouched, 1u);
    EXPECT_EQ(b.sync_state().pull_cursor, 13u);
    EXPECT_EQ(kim::test::shown(b, case_id, "phase"), "planning");

    // Every other failure still refuses the page whole: a forged change of
    // an introduced replica next to the sibling's.
    a.set_fields(case_id, {{"phase", "monitoring"}});
    json forged = json::array({a.export_changes()["changes"][4], from_s["changes"][0]});
    forged[0]["sig"] = kim::test::flip_base64(forged[0]["sig"].get<std::string>(), 7);
    PullResponse bad = page_of(later, forged, 14);
    bad.introductions.push_back(from_s["introductions"][0]);
    expect_refused(bad, "signature");
}

TEST_F(sync_pull, a_second_key_for_a_known_replica_still_refuses_the_page) {
    // Vouched for by the site key, but a's id with another key: two devices
    // claim one id (joined from b, which does not know a yet).
    Replica twin = kim::test::join_replica(b, dir / "twin", "hamborn-a");
    b.apply_pulled(page_of(from_a, 5));
    PullResponse page = page_of(from_a, json::array(), 6);
    page.introductions = json::array({twin.introduction()});
    expect_refused(page, "already known here with another public key");
}

TEST_F(sync_pull, a_pulled_change_may_be_dated_up_to_twice_the_skew_ahead) {
    // The server bounds a change by its own clock (10 minutes); a laptop whose
    // clock is behind sees it further ahead, up to 20 minutes.
    auto dated_ahead = [&](const std::string& id, std::uint64_t minutes) {
        {
            Replica setup = kim::test::join_replica(a, dir / id, id);
        }
        const std::uint64_t ahead = minutes * 60'000;
        Replica fast = Replica::open(dir / id, kim::test::passphrase, [ahead] { return kim::system_millis() + ahead; });
        fast.create_case({{"name", "Vorgestellt"}});
        return fast.export_changes();
    };
    const json fifteen = dated_ahead("hamborn-f", 15);
    // A change file keeps the single bound.
    EXPECT_THROW(b.import_changes(fifteen), kim::IntegrityError);
    const auto report = b.apply_pulled(page_of(fifteen, 3));
    EXPECT_EQ(report.applied, 1u);
    EXPECT_EQ(b.sync_state().pull_cursor, 3u);

    const json twenty_five = dated_ahead("hamborn-g", 25);
    expect_refused(page_of(twenty_five, 4), "ahead of this computer's clock (at most 20");
    try {
        b.apply_pulled(page_of(twenty_five, 4));
        ADD_FAILURE() << "a change 25 minutes ahead was applied";
    } catch (const kim::IntegrityError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("Correct this computer's clock and run `kim sync` again"), std::string::npos) << msg;
        EXPECT_EQ(msg.find("export"), std::string::npos) << "no advice about files when syncing: " << msg;
    }
}

TEST_F(sync_pull, changes_of_another_site_are_refused) {
    Replica h = kim::test::make_replica(dir / "h", "hochfeld", "hochfeld-a");
    h.create_case({{"name", "anderswo"}});
    const json foreign = h.export_changes();
    // As the other site made it: it names its site.
    expect_refused(page_of(foreign, 2), "hochfeld");
    // Its change relabelled for our site: its introduction does not open
    // with our site key, so it is skipped, unapplied (the server could as
    // well have withheld it), and does not block the page.
    PullResponse page = page_of(foreign, 2);
    page.changes[0]["site"] = "hamborn";
    auto report = b.apply_pulled(page);
    EXPECT_EQ(report.applied, 0u);
    EXPECT_EQ(report.unvouched, 1u);
    EXPECT_EQ(b.status().all_changes, 0u);
    EXPECT_FALSE(knows(b, "hochfeld-a"));
    // Slipped into an honest page: the whole page is refused.
    page = page_of(from_a, 9);
    page.changes.push_back(foreign["changes"][0]);
    expect_refused(page, "hochfeld");
    EXPECT_THROW(b.read(case_id), kim::NotFoundError);
}

TEST_F(sync_pull, malformed_pages_are_refused) {
    PullResponse page = page_of(from_a, 9);
    page.changes[2].erase("sig");
    expect_refused(page, "sig");
    page = page_of(from_a, 9);
    page.introductions[0].erase("mac");
    expect_refused(page, "introduction");
    page = page_of(from_a, 9);
    page.changes = json::object();
    expect_refused(page, "lists");
}

}  // namespace
