// The auditor's verifier against one kind of tampering at a time: each must
// fail, naming the change (origin:seq) and the fault; the clean log passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "kim/shared/base64.hpp"
#include "kim/shared/change.hpp"
#include "../../client/src/audit/entry_checks.hpp"
#include "../../client/src/audit/log_page.hpp"
#include "kim/shared/errors.hpp"
#include "site_log.hpp"

namespace kim::test {
namespace {

using nlohmann::json;

bool names(const std::vector<audit::Failure>& fs, const std::string& change) {
    return std::any_of(fs.begin(), fs.end(), [&](const audit::Failure& f) { return f.change == change; });
}

TEST_F(SiteLog, CleanLogVerifies) {
    const Verified run = verify(log);
    EXPECT_TRUE(run.report.ok()) << describe(run.report);
    EXPECT_EQ(run.report.changes, log.length());
    EXPECT_EQ(run.report.new_changes, log.length());
    EXPECT_EQ(run.report.origins, 2u);
    EXPECT_EQ(run.report.checkpoints, 2u);
    EXPECT_TRUE(run.report.findings.empty()) << describe(run.report);
    // One thread or several, any page size: the same report.
    const Verified single = verify(log, {.page = 1000, .threads = 1});
    EXPECT_EQ(audit::to_json(single.report), audit::to_json(run.report));
}

TEST_F(SiteLog, FlippedCiphertextByteIsNamed) {
    auto& e = log.entries[change_on("hamborn-b", goal)];
    for (auto& op : e.change["ops"]) {
        if (op["field"] == "text") op["ct"] = flip_base64(op["ct"].get<std::string>(), 30);
    }
    const Verified run = verify(log);
    ASSERT_FALSE(run.report.ok());
    const auto fs = failures_of(run.report, audit::fault::ciphertext);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].change, id_of(e));
    EXPECT_EQ(fs[0].server_seq, e.server_seq);
    EXPECT_NE(fs[0].message.find("'text'"), std::string::npos) << fs[0].message;
    EXPECT_EQ(run.report.failure_count, 1u) << describe(run.report);  // the hash, signature and chain cover ct_hash only
}

TEST_F(SiteLog, ChangedStatisticalValueIsNamed) {
    auto& e = log.entries[change_on("hamborn-a", case_id)];
    for (auto& op : e.change["ops"]) {
        if (op["field"] == "phase") op["value"] = "closed";
    }
    const Verified run = verify(log);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::signature), id_of(e))) << describe(run.report);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::chain), id_of(e))) << describe(run.report);
    // Only this change is named: the chain goes on from the server's value.
    for (const auto& f : run.report.failures) {
        if (f.fault == audit::fault::chain || f.fault == audit::fault::signature) {
            EXPECT_EQ(f.change, id_of(e));
        }
    }
}

TEST_F(SiteLog, DeletedChangeIsNamed) {
    const std::size_t i = change_on("hamborn-a", consent);
    const std::string deleted = id_of(log.entries[i]);
    const std::string after = id_of(log.entries[i + 1]);
    log.entries.erase(log.entries.begin() + static_cast<std::ptrdiff_t>(i));
    const Verified run = verify(log);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::sequence), after)) << describe(run.report);
    const auto gaps = failures_of(run.report, audit::fault::gap);
    ASSERT_FALSE(gaps.empty()) << describe(run.report);
    EXPECT_NE(gaps[0].message.find("missing"), std::string::npos);

    // A server that renumbers and recomputes its chain: the origin's chain
    // and the checkpoints still tell.
    log.renumber();
    log.restamp();
    const Verified again = verify(log);
    EXPECT_FALSE(again.report.ok());
    EXPECT_FALSE(failures_of(again.report, audit::fault::gap).empty()) << describe(again.report);
    EXPECT_FALSE(failures_of(again.report, audit::fault::checkpoint_mismatch).empty()) << describe(again.report);
    EXPECT_EQ(deleted.substr(0, 9), "hamborn-a");
}

TEST_F(SiteLog, SwappedChangesAreNamed) {
    const std::size_t i = change_on("hamborn-b", goal);
    const std::size_t j = i + 1;
    ASSERT_LT(j, log.entries.size());
    const std::string first = id_of(log.entries[i]);
    const std::string second = id_of(log.entries[j]);
    std::swap(log.entries[i].change, log.entries[j].change);
    const Verified run = verify(log);
    const auto chain = failures_of(run.report, audit::fault::chain);
    EXPECT_TRUE(names(chain, first)) << describe(run.report);
    EXPECT_TRUE(names(chain, second)) << describe(run.report);
    // Both are hamborn-b's: its chain is out of order too.
    EXPECT_FALSE(failures_of(run.report, audit::fault::order).empty()) << describe(run.report);
}

TEST_F(SiteLog, ChangeForgedInAnotherReplicasNameIsNamed) {
    // Someone with another key writes hamborn-a's next change, correctly chained.
    std::uint64_t last = 0;
    Hash32 prev{};
    for (const auto& e : log.entries) {
        if (e.change.at("origin") == "hamborn-a") {
            last = e.change.at("seq").get<std::uint64_t>();
            prev = change_hash(change_from_json(e.change));
        }
    }
    RawOrigin mallory("hamborn-a", "hamborn");
    log.append(mallory.make(last + 1, prev));
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::signature);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].change, "hamborn-a:" + std::to_string(last + 1));
    EXPECT_EQ(run.report.failure_count, 1u) << describe(run.report);
}

TEST_F(SiteLog, BadCheckpointSignatureIsCaught) {
    log.checkpoints[0].time += 1;  // signed over another time
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::checkpoint_signature);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].server_seq, log.checkpoints[0].server_seq);
    EXPECT_FALSE(fs[0].change.empty());
    EXPECT_EQ(run.report.checkpoints, 1u);
}

TEST_F(SiteLog, CheckpointThatTheLogDoesNotExtendIsCaught) {
    // The server signed chain X at seq n, but the log now hashes otherwise up to n.
    Hash32 other{};
    other[0] = 1;
    log.checkpoints.push_back(sign_checkpoint(2, other, received_time, log.server_key.secret_key));
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::checkpoint_mismatch);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].server_seq, 2u);
    EXPECT_EQ(fs[0].change, id_of(log.entries[1]));
}

TEST_F(SiteLog, CheckpointBeyondTheLogIsARollback) {
    log.entries.pop_back();
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::rolled_back);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].server_seq, log.length() + 1);
}

TEST_F(SiteLog, StoredChainThatPartsFromTheChangesIsNamed) {
    auto& e = log.entries[2];
    Hash32 h{};
    e.chain = base64_encode(h);
    const Verified run = verify(log);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::chain), id_of(e))) << describe(run.report);
}

TEST_F(SiteLog, OriginRevokedOrNotYetEnrolledIsNamed) {
    const std::string last_b = id_of(log.entries[change_on("hamborn-b", goal)]);
    for (auto& k : log.keys.replicas) {
        if (k.id == "hamborn-b") k.revoked_at = received_time - 1;
        if (k.id == "hamborn-a") k.enrolled_at = received_time + 1;
    }
    const Verified run = verify(log);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::revoked), last_b)) << describe(run.report);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::not_enrolled), "hamborn-a:1")) << describe(run.report);

    // At the very bounds, a change is inside the window.
    for (auto& k : log.keys.replicas) {
        if (k.id == "hamborn-b") k.revoked_at = received_time;
        if (k.id == "hamborn-a") k.enrolled_at = received_time;
    }
    EXPECT_TRUE(verify(log).report.ok());
}

TEST_F(SiteLog, OriginEnrolledForAnotherSiteIsNamed) {
    for (auto& k : log.keys.replicas) {
        if (k.id == "hamborn-b") k.site = "hochfeld";
    }
    const Verified run = verify(log);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::wrong_site), id_of(log.entries[change_on("hamborn-b", goal)])))
        << describe(run.report);
}

TEST_F(SiteLog, UnknownOriginIsNamed) {
    log.keys.replicas.erase(log.keys.replicas.begin() + 1);  // hamborn-b
    const Verified run = verify(log);
    EXPECT_TRUE(names(failures_of(run.report, audit::fault::unknown_origin), id_of(log.entries[change_on("hamborn-b", goal)])))
        << describe(run.report);
}

TEST_F(SiteLog, MalformedChangeIsNamedAndTheRestStillVerified) {
    log.entries[1].change["surprise"] = 1;
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::malformed);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].server_seq, 2u);
}

TEST(AuditOrigins, GapForkAndEquivocationAreNamed) {
    AuditLog log;
    RawOrigin o("rheinhausen-a", "rheinhausen");
    log.enrol(o.id, o.site, o.key.public_key);
    log.append(o.next());  // :1
    log.append(o.next());  // :2
    const json third = o.next();
    log.append(o.next());  // :4 before :3 — a gap
    log.append(third);     // :3 late — out of order
    log.append(o.make(5, o.prev));  // :5 naming the hash of :4, fine
    log.append(o.make(6, Hash32{}));  // :6 with a wrong prev — a fork
    log.append(o.make(6, o.prev));    // :6 again — equivocation
    const Verified run = verify(log);
    EXPECT_EQ(failures_of(run.report, audit::fault::gap).at(0).change, "rheinhausen-a:4") << describe(run.report);
    EXPECT_EQ(failures_of(run.report, audit::fault::order).at(0).change, "rheinhausen-a:3") << describe(run.report);
    EXPECT_EQ(failures_of(run.report, audit::fault::fork).at(0).change, "rheinhausen-a:6") << describe(run.report);
    EXPECT_EQ(failures_of(run.report, audit::fault::equivocation).at(0).change, "rheinhausen-a:6") << describe(run.report);
    EXPECT_EQ(run.report.failure_count, 4u) << describe(run.report);
}

TEST(AuditOrigins, FirstChangeOfAnOriginMustStartItsChain) {
    AuditLog log;
    RawOrigin o("rheinhausen-a", "rheinhausen");
    log.enrol(o.id, o.site, o.key.public_key);
    Hash32 not_zero{};
    not_zero[5] = 7;
    log.append(o.make(1, not_zero));
    const Verified run = verify(log);
    EXPECT_EQ(failures_of(run.report, audit::fault::fork).at(0).change, "rheinhausen-a:1") << describe(run.report);
}

TEST(AuditOrigins, EmptyLogVerifies) {
    AuditLog log;
    log.checkpoint();
    const Verified run = verify(log);
    EXPECT_TRUE(run.report.ok()) << describe(run.report);
    EXPECT_EQ(run.report.changes, 0u);
    EXPECT_EQ(run.report.checkpoints, 1u);
}

TEST(AuditOrigins, ManyFailuresAreCountedBeyondTheKeptOnes) {
    AuditLog log;
    RawOrigin o("rheinhausen-a", "rheinhausen");
    log.enrol(o.id, o.site, o.key.public_key);
    RawOrigin forger("rheinhausen-a", "rheinhausen");
    for (int i = 0; i < 30; ++i) log.append(forger.next());
    const Verified run = verify(log);
    EXPECT_EQ(run.report.failure_count, 30u);
    const std::string text = audit::format_report(run.report, 5);
    EXPECT_NE(text.find("and 25 more"), std::string::npos) << text;
    EXPECT_NE(text.find("FAILED"), std::string::npos) << text;
    EXPECT_EQ(audit::to_json(run.report).at("failures").size(), 30u);
}

TEST(AuditOrigins, GapsAreRememberedAsRangesNotSeqBySeq) {
    // Seqs 1, 10000, 19999, …: every gap just under the old one-by-one limit.
    AuditLog log;
    RawOrigin o("rheinhausen-a", "rheinhausen");
    log.enrol(o.id, o.site, o.key.public_key);
    log.append(o.next());
    constexpr int jumps = 20;
    for (int i = 1; i <= jumps; ++i) log.append(o.make(1 + std::uint64_t(i) * 9999, Hash32{}));
    const Verified run = verify(log);
    EXPECT_EQ(failures_of(run.report, audit::fault::gap).size(), std::size_t(jumps)) << describe(run.report);
    const auto& missing = run.state.origins.at(o.id).missing;
    ASSERT_EQ(missing.size(), std::size_t(jumps));
    EXPECT_EQ(missing.begin()->first, 2u);
    EXPECT_EQ(missing.begin()->second, 9999u);

    // A late change inside a range is out of order and splits it; the same again is an equivocation.
    log.append(o.make(5, Hash32{}));
    log.append(o.make(5, Hash32{}));
    const Verified late = verify(log);
    EXPECT_EQ(failures_of(late.report, audit::fault::order).size(), 1u) << describe(late.report);
    EXPECT_EQ(failures_of(late.report, audit::fault::equivocation).size(), 1u) << describe(late.report);
    const auto& split = late.state.origins.at(o.id).missing;
    ASSERT_EQ(split.size(), std::size_t(jumps) + 1);
    EXPECT_EQ(split.at(2), 4u);
    EXPECT_EQ(split.at(6), 9999u);
    // The ranges survive the state file.
    EXPECT_EQ(audit::to_json(audit::audit_state_from_json(audit::to_json(late.state))), audit::to_json(late.state));
}

TEST(AuditReport, MessagesAreClippedWithoutSplittingACharacter) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += "\xc3\xa9";  // é
    const std::string clipped = audit::clip(text);
    EXPECT_LE(clipped.size(), audit::max_message_bytes);
    EXPECT_GT(clipped.size(), audit::max_message_bytes - 8);
    EXPECT_EQ(clipped.substr(clipped.size() - 3), "\xe2\x80\xa6");
    for (std::size_t i = 0; i + 3 < clipped.size(); i += 2) EXPECT_EQ(clipped.substr(i, 2), "\xc3\xa9") << i;
    EXPECT_EQ(audit::clip("short"), "short");
    EXPECT_NO_THROW(json(clipped).dump());  // still valid UTF-8
}

TEST_F(SiteLog, FailureNamingAHugeUnknownKeyIsClipped) {
    log.entries[1].change[std::string(20'000, 'k')] = 1;
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::malformed);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_LE(fs[0].message.size(), audit::max_message_bytes);
}

protocol::AuditLogPage page_of(std::initializer_list<std::uint64_t> seqs, std::uint64_t next, bool more,
                               std::uint64_t last_seq) {
    protocol::AuditLogPage p;
    for (const auto s : seqs) p.entries.push_back({s, received_time, "", json::object()});
    p.next = next;
    p.more = more;
    p.last_seq = last_seq;
    return p;
}

TEST(AuditLogPages, PagesAMisbehavingServerSendsAreRefused) {
    const std::string server = "http://127.0.0.1:1";
    EXPECT_NO_THROW(audit::check_log_page(server, page_of({1, 2, 3}, 3, true, 10), 0, 3, std::nullopt));
    EXPECT_NO_THROW(audit::check_log_page(server, page_of({4, 5}, 5, false, 5), 3, 3, 5));
    // More entries than asked for.
    EXPECT_THROW(audit::check_log_page(server, page_of({1, 2, 3, 4}, 4, true, 10), 0, 3, std::nullopt), Error);
    // Server seqs not increasing, or not after `since`.
    EXPECT_THROW(audit::check_log_page(server, page_of({1, 3, 2}, 3, true, 10), 0, 3, std::nullopt), Error);
    EXPECT_THROW(audit::check_log_page(server, page_of({3, 4}, 4, true, 10), 3, 3, std::nullopt), Error);
    // `next` beyond the log's length: more=true forever.
    EXPECT_THROW(audit::check_log_page(server, page_of({1, 2}, 12, true, 10), 0, 3, std::nullopt), Error);
    // Not advancing.
    EXPECT_THROW(audit::check_log_page(server, page_of({}, 0, true, 10), 0, 3, std::nullopt), Error);
    // The log's length shrinking between pages.
    EXPECT_THROW(audit::check_log_page(server, page_of({4, 5}, 5, true, 9), 3, 3, 10), Error);
}

}  // namespace
}  // namespace kim::test
