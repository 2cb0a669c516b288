// What the verifier concludes from the clear fields: purges must belong to
// erasures (an integrity failure otherwise), and consent must come before
// processing (a finding, never a failure).
#include <gtest/gtest.h>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/change.hpp"
#include "site_log.hpp"

namespace kim::test {
namespace {

using nlohmann::json;

void purge(protocol::AuditLogEntry& e) {
    for (auto& op : e.change["ops"]) op.erase("ct");
}

TEST_F(SiteLog, PurgedCiphertextOfARecordNotErasedIsNamed) {
    auto& e = log.entries[change_on("hamborn-b", goal)];
    purge(e);
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::purged);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);  // one per purged field: the goal's text
    EXPECT_EQ(fs[0].change, id_of(e));
    EXPECT_NE(fs[0].message.find(goal), std::string::npos);
    EXPECT_EQ(run.report.failure_count, 1u) << describe(run.report);  // signatures and chains still hold
}

TEST_F(SiteLog, PurgedCiphertextsOfAnErasedCaseAndItsRecordsPass) {
    // The erasure comes later in the log than the purged changes.
    a->erase(case_id);
    log.append_new(*a);
    for (auto& e : log.entries) purge(e);
    const Verified run = verify(log);
    EXPECT_TRUE(run.report.ok()) << describe(run.report);
}

TEST_F(SiteLog, PurgedCiphertextOfAnErasedRecordAlonePasses) {
    a->erase(contact);
    log.append_new(*a);
    purge(log.entries[change_on("hamborn-a", contact)]);
    EXPECT_TRUE(verify(log).report.ok());
    // … but not the case's own ciphertexts: only the contact was erased.
    purge(log.entries[change_on("hamborn-a", case_id)]);
    const Verified run = verify(log);
    EXPECT_EQ(failures_of(run.report, audit::fault::purged).size(), 1u) << describe(run.report);
}

TEST_F(SiteLog, ConsentBeforeProcessingGivesNoFinding) {
    const Verified run = verify(log);
    EXPECT_TRUE(run.report.findings.empty()) << describe(run.report);
}

TEST_F(SiteLog, ProcessingBeforeConsentIsAFindingNotAFailure) {
    // Case 2: a goal, then the consent. Case 3: no processing consent at all
    // (one for sharing only). Case 4: only created, which needs none yet.
    const std::string case2 = a->create_case({{"name", "Zweiter Fall"}});
    const std::string goal2 = a->add_record("goal", case2, {{"text", "Deutschkurs"}, {"field", "deutsch"}});
    a->add_record("consent", case2, {{"scope", "processing"}});
    a->set_fields(case2, {{"phase", "assessment"}});
    const std::string case3 = a->create_case({{"name", "Dritter Fall"}});
    a->add_record("consent", case3, {{"scope", "share"}});
    a->set_fields(case3, {{"phase", "assessment"}});
    a->create_case({{"name", "Vierter Fall"}});
    log.append_new(*a);
    const Verified run = verify(log);
    EXPECT_TRUE(run.report.ok()) << describe(run.report);
    ASSERT_EQ(run.report.findings.size(), 2u) << describe(run.report);
    const audit::Finding& f2 = run.report.findings[0];
    EXPECT_EQ(f2.case_id, case2);
    EXPECT_EQ(f2.change, id_of(log.entries[change_on("hamborn-a", goal2)]));
    EXPECT_NE(f2.message.find("before its first processing consent"), std::string::npos) << f2.message;
    const audit::Finding& f3 = run.report.findings[1];
    EXPECT_EQ(f3.case_id, case3);
    EXPECT_NE(f3.message.find("no processing consent"), std::string::npos) << f3.message;
    // The text names the case and the change, and says OK.
    const std::string text = audit::format_report(run.report);
    EXPECT_NE(text.find(case2), std::string::npos) << text;
    EXPECT_NE(text.find("OK"), std::string::npos) << text;
    // Findings never quote a confidential value.
    EXPECT_EQ(audit::to_json(run.report).dump().find("Deutschkurs"), std::string::npos);
}

TEST_F(SiteLog, ErasureNeedsNoConsent) {
    const std::string case2 = a->create_case({{"name", "Ohne Einwilligung"}});
    a->erase(case2);
    log.append_new(*a);
    const Verified run = verify(log);
    EXPECT_TRUE(run.report.findings.empty()) << describe(run.report);
}

// The next change of `o`'s chain on `record`, with the given clear ops (no ciphertexts).
json change_by(RawOrigin& o, const std::string& record, const std::string& kind, std::vector<FieldOp> ops) {
    Change c;
    c.origin = o.id;
    c.seq = ++o.seq;
    c.site = o.site;
    c.record = record;
    c.kind = kind;
    c.hlc = (std::uint64_t{1'900'000'000'000} + c.seq) << 16;
    c.ops = std::move(ops);
    c.prev = o.prev;
    seal_change(c, o.key.secret_key);
    o.prev = change_hash(c);
    return change_to_json(c);
}

FieldOp op(std::string_view field, json value) {
    FieldOp f;
    f.field = std::string(field);
    f.value = std::move(value);
    return f;
}

TEST_F(SiteLog, ErasureOfTheSameRecordIdInAnotherSiteDoesNotExcuseAPurge) {
    purge(log.entries[change_on("hamborn-b", goal)]);
    // Site hochfeld erases "its" record with the goal's id, and a case with the case's id.
    RawOrigin h("hochfeld-a", "hochfeld");
    log.enrol(h.id, h.site, h.key.public_key);
    log.append(change_by(h, goal, "goal", {op(field_erased, true)}));
    log.append(change_by(h, case_id, "case", {op(field_erased, true)}));
    const Verified run = verify(log);
    const auto fs = failures_of(run.report, audit::fault::purged);
    ASSERT_EQ(fs.size(), 1u) << describe(run.report);
    EXPECT_EQ(fs[0].change, id_of(log.entries[change_on("hamborn-b", goal)]));
    EXPECT_NE(fs[0].message.find("'hamborn'"), std::string::npos) << fs[0].message;
}

TEST_F(SiteLog, ARecordsCaseIsTheFirstOneNamedForIt) {
    purge(log.entries[change_on("hamborn-b", goal)]);
    // Another case of the site, erased; then a change that links the goal to it.
    const std::string other = a->create_case({{"name", "Anderer Fall"}});
    log.append_new(*a);
    a->erase(other);
    log.append_new(*a);
    RawOrigin c("hamborn-c", "hamborn");
    log.enrol(c.id, c.site, c.key.public_key);
    log.append(change_by(c, goal, "goal", {op(field_case_link, other)}));
    const Verified run = verify(log);
    // The server still holds the goal as a record of its first case, which was not erased.
    EXPECT_EQ(failures_of(run.report, audit::fault::purged).size(), 1u) << describe(run.report);
    // Erasing the first case excuses it.
    a->erase(case_id);
    log.append_new(*a);
    const Verified erased = verify(log);
    EXPECT_TRUE(failures_of(erased.report, audit::fault::purged).empty()) << describe(erased.report);
}

}  // namespace
}  // namespace kim::test
