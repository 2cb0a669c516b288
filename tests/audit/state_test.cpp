// Verification across runs with a state: incremental runs equal full ones,
// and a log that no longer extends what an earlier run saw is caught.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <functional>

#include "kim/shared/base64.hpp"

#include "kim/shared/errors.hpp"
#include "site_log.hpp"

namespace kim::test {
namespace {

using nlohmann::json;

// The report without what differs by design between a full and an incremental run.
json comparable(const audit::Report& r) {
    json j = audit::to_json(r);
    j.erase("new_changes");
    j.erase("incremental");
    return j;
}

TEST_F(SiteLog, IncrementalRunsEqualAFullRun) {
    // Verified 1 on the log so far; then more changes, a checkpoint, run 2; then run 3 with nothing new.
    const Verified first = verify(log);
    ASSERT_TRUE(first.report.ok()) << describe(first.report);
    const std::string late_case = b->create_case({{"name", "Late"}, {"phase", "intake"}});
    b->add_record("goal", late_case, {{"text", "Kita-Platz"}, {"field", "kita"}});
    b->add_record("consent", late_case, {{"scope", "processing"}});
    log.append_new(*b);
    a->erase(contact);
    log.append_new(*a);
    log.checkpoint();
    const Verified second = verify(log, {.state = first.state});
    ASSERT_TRUE(second.report.ok()) << describe(second.report);
    EXPECT_TRUE(second.report.incremental);
    EXPECT_EQ(second.report.new_changes, log.length() - first.report.changes);
    const Verified third = verify(log, {.state = second.state});
    ASSERT_TRUE(third.report.ok()) << describe(third.report);
    EXPECT_EQ(third.report.new_changes, 0u);

    const Verified full = verify(log);
    EXPECT_EQ(comparable(second.report), comparable(full.report));
    EXPECT_EQ(comparable(third.report), comparable(full.report));
    EXPECT_EQ(full.report.findings.size(), 1u) << describe(full.report);  // the late case's goal before its consent
    EXPECT_EQ(json(audit::to_json(second.state)), json(audit::to_json(full.state)));
    // A full run with the state compares with it and agrees.
    const Verified again = verify(log, {.state = second.state, .incremental = false});
    EXPECT_TRUE(again.report.ok()) << describe(again.report);
    EXPECT_EQ(comparable(again.report), comparable(full.report));
}

TEST_F(SiteLog, IncrementalRunRemembersErasuresForLaterPurges) {
    // Verified 1: the case is erased, the server purged its records' ciphertexts.
    a->erase(case_id);
    log.append_new(*a);
    for (auto& e : log.entries) {
        for (auto& op : e.change["ops"]) op.erase("ct");
    }
    const Verified first = verify(log);
    ASSERT_TRUE(first.report.ok()) << describe(first.report);
    // Verified 2: hamborn-b, not synced yet, edits the case's goal; the server
    // purges that ciphertext on arrival. Only the state knows the goal's case.
    b->set_fields(goal, {{"text", "Wohnung in Hamborn finden"}});
    log.append_new(*b);
    for (auto& op : log.entries.back().change["ops"]) op.erase("ct");
    const Verified second = verify(log, {.state = first.state});
    EXPECT_TRUE(second.report.ok()) << describe(second.report);
    // A purge of a record that was never erased is still caught in run 2.
    const std::string other = b->create_case({{"name", "Other"}});
    log.append_new(*b);
    for (auto& op : log.entries.back().change["ops"]) op.erase("ct");
    const Verified third = verify(log, {.state = second.state});
    const auto fs = failures_of(third.report, audit::fault::purged);
    ASSERT_FALSE(fs.empty()) << describe(third.report);
    EXPECT_EQ(fs[0].change, id_of(log.entries.back()));
    EXPECT_NE(fs[0].message.find(other), std::string::npos) << fs[0].message;
}

TEST_F(SiteLog, RewrittenHistoryAfterACheckpointIsCaught) {
    const Verified first = verify(log);
    ASSERT_TRUE(first.report.ok());

    // A fresh store with the same server key and the same replicas' keys:
    // the same changes minus the consent, re-chained, checkpointed again.
    AuditLog fresh;
    fresh.server_key = log.server_key;
    fresh.keys = log.keys;
    for (const auto& e : log.entries) {
        if (e.change.at("record") != consent) fresh.append(e.change);
    }
    fresh.checkpoint();
    for (const auto& c : log.checkpoints) {
        if (c.server_seq <= 2) fresh.checkpoints.push_back(c);  // the early one is still true
    }
    // Long enough that the earlier run's last change is inside it.
    while (fresh.length() < log.length()) {
        fresh.append(log.entries.back().change);
    }
    const Verified second = verify(fresh, {.state = first.state});
    ASSERT_FALSE(second.report.ok());
    const auto fs = failures_of(second.report, audit::fault::rewritten);
    ASSERT_FALSE(fs.empty()) << describe(second.report);
    EXPECT_EQ(fs[0].server_seq, first.state.server_seq);
    // A full run with the state is caught at the old checkpoint too.
    const Verified full = verify(fresh, {.state = first.state, .incremental = false});
    EXPECT_FALSE(failures_of(full.report, audit::fault::rewritten).empty()) << describe(full.report);
}

TEST_F(SiteLog, RolledBackLogIsCaught) {
    const Verified first = verify(log);
    ASSERT_TRUE(first.report.ok());
    // The server restored from a backup: the log ends two changes earlier,
    // its own checkpoints of the lost part gone too.
    log.entries.resize(log.entries.size() - 2);
    log.checkpoints.resize(1);
    for (const bool incremental : {true, false}) {
        const Verified second = verify(log, {.state = first.state, .incremental = incremental});
        const auto fs = failures_of(second.report, audit::fault::rolled_back);
        ASSERT_EQ(fs.size(), 1u) << describe(second.report);
        EXPECT_NE(fs[0].message.find("an earlier run verified " + std::to_string(first.state.server_seq)), std::string::npos)
            << fs[0].message;
    }
}

TEST_F(SiteLog, AnotherServerKeyThanThePinnedOneIsCaught) {
    const Verified first = verify(log);
    AuditLog other;
    other.keys = log.keys;  // the same replicas, another server key
    other.keys.server_key = AuditLog().keys.server_key;
    other.entries = log.entries;
    const Verified second = verify(other, {.state = first.state});
    const auto fs = failures_of(second.report, audit::fault::server_key);
    ASSERT_EQ(fs.size(), 1u) << describe(second.report);
}

TEST_F(SiteLog, StateFileIsWrittenPrivatelyAndReadBack) {
    const Verified run = verify(log);
    const auto file = dir / "audit.state";
    audit::save_state(file, run.state);
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto loaded = audit::load_state(file);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(audit::to_json(*loaded), audit::to_json(run.state));
    // Nothing confidential: no name, no text written into the replicas.
    const std::string bytes = read_file(file);
    EXPECT_EQ(bytes.find("Amina"), std::string::npos);
    EXPECT_EQ(bytes.find("Wohnung"), std::string::npos);
    // Saved again over itself: still one file, still private.
    audit::save_state(file, run.state);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 3);  // a, b, audit.state

    EXPECT_FALSE(audit::load_state(dir / "none.state"));
    std::ofstream(dir / "bad.state") << R"({"kind":"kimsync-audit-state","version":1})";
    EXPECT_THROW(audit::load_state(dir / "bad.state"), InputError);
    std::ofstream(dir / "other.state") << R"({"kind":"something else"})";
    EXPECT_THROW(audit::load_state(dir / "other.state"), InputError);
}

protocol::AuditReplicaKey& replica_key(AuditLog& log, const std::string& id) {
    for (auto& k : log.keys.replicas) {
        if (k.id == id) return k;
    }
    throw std::runtime_error("no key for " + id);
}

// The key_changed failures of a run, all of them naming `replica`.
void expect_key_changed(const Verified& run, const std::string& replica) {
    const auto fs = failures_of(run.report, audit::fault::key_changed);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_NE(fs[0].message.find("'" + replica + "'"), std::string::npos) << fs[0].message;
    EXPECT_FALSE(run.report.ok());
}

TEST_F(SiteLog, ReplicaKeysArePinnedInTheState) {
    const Verified first = verify(log);
    ASSERT_TRUE(first.report.ok()) << describe(first.report);
    ASSERT_EQ(first.state.replicas.size(), 2u);
    EXPECT_EQ(first.state.replicas.at("hamborn-b").site, "hamborn");
    EXPECT_EQ(first.state.checkpoint_time, received_time);
    const protocol::AuditKeys original = log.keys;
    const std::vector<std::function<void(protocol::AuditReplicaKey&)>> alterations = {
        [](auto& k) { k.public_key = base64_encode(crypto::generate_signing_key().public_key); },
        [](auto& k) { k.site = "hochfeld"; },
        [](auto& k) { k.enrolled_at -= 1; },
    };
    for (const auto& alter : alterations) {
        alter(replica_key(log, "hamborn-b"));
        for (const bool incremental : {true, false}) {
            expect_key_changed(verify(log, {.state = first.state, .incremental = incremental}), "hamborn-b");
        }
        log.keys = original;
    }
    EXPECT_TRUE(verify(log, {.state = first.state}).report.ok());
}

TEST_F(SiteLog, ForgeryWithASwappedKeyFailsAnIncrementalRun) {
    const Verified first = verify(log);
    ASSERT_TRUE(first.report.ok()) << describe(first.report);
    // The server swaps hamborn-a's key for its own and forges the next change
    // of hamborn-a's chain: signature and chain checks pass.
    RawOrigin forger("hamborn-a", "hamborn");
    const audit::OriginTip& tip = first.state.origins.at("hamborn-a");
    forger.seq = tip.seq;
    forger.prev = tip.hash;
    replica_key(log, "hamborn-a").public_key = base64_encode(forger.key.public_key);
    log.append(forger.next());
    const Verified second = verify(log, {.state = first.state});
    EXPECT_TRUE(failures_of(second.report, audit::fault::signature).empty()) << describe(second.report);
    expect_key_changed(second, "hamborn-a");
}

TEST_F(SiteLog, RevocationMayBeAddedButNotChangedOrRemoved) {
    const Verified first = verify(log);
    replica_key(log, "hamborn-b").revoked_at = received_time + 10;
    const Verified second = verify(log, {.state = first.state});
    ASSERT_TRUE(second.report.ok()) << describe(second.report);
    EXPECT_EQ(second.state.replicas.at("hamborn-b").revoked_at, received_time + 10);
    replica_key(log, "hamborn-b").revoked_at = received_time + 20;
    expect_key_changed(verify(log, {.state = second.state}), "hamborn-b");
    replica_key(log, "hamborn-b").revoked_at.reset();
    expect_key_changed(verify(log, {.state = second.state}), "hamborn-b");
}

TEST_F(SiteLog, ReplicaNoLongerListedIsCaught) {
    const Verified first = verify(log);
    log.keys.replicas.erase(log.keys.replicas.begin() + 1);  // hamborn-b
    expect_key_changed(verify(log, {.state = first.state}), "hamborn-b");
}

TEST_F(SiteLog, NewReplicaBackdatedBeforeTheLastRunIsCaught) {
    const Verified first = verify(log);
    const auto c_key = crypto::generate_signing_key().public_key;
    // Enrolled before the latest checkpoint the first run saw, yet not listed then: made up.
    log.enrol("hamborn-c", "hamborn", c_key, received_time - 1);
    expect_key_changed(verify(log, {.state = first.state}), "hamborn-c");
    // Enrolled after it: a new replica, fine.
    replica_key(log, "hamborn-c").enrolled_at = received_time + 1;
    const Verified later = verify(log, {.state = first.state});
    EXPECT_TRUE(later.report.ok()) << describe(later.report);
    EXPECT_EQ(later.state.replicas.count("hamborn-c"), 1u);
}

TEST_F(SiteLog, StateOfAnotherServerIsNotCarriedOver) {
    // The state's run saw the whole log, with a finding (a goal before consent).
    const std::size_t shared = log.length();
    const std::string late_case = b->create_case({{"name", "Late"}});
    b->add_record("goal", late_case, {{"text", "Kita-Platz"}, {"field", "kita"}});
    log.append_new(*b);
    const Verified first = verify(log);
    ASSERT_EQ(first.report.findings.size(), 1u) << describe(first.report);
    // Server Y: another key, a shorter log of its own.
    AuditLog other;
    other.keys.replicas = log.keys.replicas;
    for (std::size_t i = 0; i < shared; ++i) other.append(log.entries[i].change);
    other.checkpoint();
    const Verified run = verify(other, {.state = first.state});
    ASSERT_EQ(failures_of(run.report, audit::fault::server_key).size(), 1u) << describe(run.report);
    EXPECT_EQ(run.report.failure_count, 1u) << describe(run.report);  // no rolled_back, rewritten, key_changed …
    EXPECT_FALSE(run.report.incremental);
    EXPECT_EQ(run.report.changes, shared);  // what was verified on Y, not the state's count
    EXPECT_EQ(run.report.new_changes, shared);
    EXPECT_TRUE(run.report.findings.empty()) << describe(run.report);
    EXPECT_EQ(run.report.checkpoints, 1u);
}

TEST_F(SiteLog, StateFileWithWrongTypesIsAClearInputError) {
    const Verified run = verify(log);
    const json good = audit::to_json(run.state);
    const std::vector<std::function<void(json&)>> damage = {
        [](json& j) { j["kind"] = 5; },
        [](json& j) { j["version"] = "1"; },
        [](json& j) { j["checkpoint_time"] = "yesterday"; },
        [](json& j) { j["replicas"]["hamborn-a"]["enrolled_at"] = "x"; },
        [](json& j) { j["replicas"]["hamborn-a"].erase("key"); },
        [](json& j) { j["replicas"] = json::array(); },
        [](json& j) { j["cases"]["hamborn"] = json::array(); },
        [](json& j) { j["erased"] = json::array({"x"}); },
        [](json& j) { j["origins"]["hamborn-a"]["missing"] = json::array({json::array({1})}); },
        [](json& j) { j["origins"]["hamborn-a"]["missing"] = json::array({json::array({7, 3})}); },
        [](json& j) { j["origins"]["hamborn-a"]["seq"] = -1; },
    };
    const auto file = dir / "damaged.state";
    for (std::size_t i = 0; i < damage.size(); ++i) {
        json j = good;
        damage[i](j);
        std::ofstream(file, std::ios::trunc) << j.dump();
        try {
            audit::load_state(file);
            ADD_FAILURE() << "damage " << i << " was accepted";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "damage " << i << " gave another error: " << e.what();
        }
    }
}

TEST(AuditStateFile, FolderThatCannotBeWrittenIsRefusedBeforeARun) {
    TempDir dir;
    EXPECT_THROW(audit::check_state_writable(dir / "missing" / "audit.state"), InputError);
    EXPECT_NO_THROW(audit::check_state_writable(dir / "audit.state"));
    std::ofstream(dir / "file") << "x";
    EXPECT_THROW(audit::check_state_writable(dir / "file" / "audit.state"), InputError);
}

}  // namespace
}  // namespace kim::test
