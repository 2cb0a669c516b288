// Applying pulled pages: every change verified before any is applied, the
// page and its cursor in one transaction, nothing applied twice. Real
// changes come from other replicas' exports, laid out as the server sends them.
#include <gtest/gtest.h>

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

TEST_F(sync_pull, a_forged_introduction_refuses_the_page) {
    PullResponse page = page_of(from_a, 9);
    page.introductions[0]["mac"] = kim::test::flip_base64(page.introductions[0]["mac"].get<std::string>(), 2);
    expect_refused(page, "not vouched for by this site's key");
    // Without any introduction, a's signature is not one b may trust.
    page = page_of(from_a, 9);
    page.introductions = json::array();
    expect_refused(page, "not introduced");
}

TEST_F(sync_pull, changes_of_another_site_are_refused) {
    Replica h = kim::test::make_replica(dir / "h", "hochfeld", "hochfeld-a");
    h.create_case({{"name", "anderswo"}});
    const json foreign = h.export_changes();
    // As the other site made it: it names its site.
    expect_refused(page_of(foreign, 2), "hochfeld");
    // Its change relabelled for our site: its introduction does not open with our site key.
    PullResponse page = page_of(foreign, 2);
    page.changes[0]["site"] = "hamborn";
    expect_refused(page, "not vouched for");
    // Without its introduction: its signer is unknown here.
    page.introductions = from_a["introductions"];
    expect_refused(page, "hochfeld-a");
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
