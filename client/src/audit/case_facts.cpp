// Case facts from the clear fields of the log (case_facts.hpp).
#include "case_facts.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/ids.hpp"

namespace kim::audit {

namespace {

// The consent that every operation on a case needs first (schema/catalogue.json:
// a `consent` record with its `case` link and scope `processing`).
constexpr std::string_view kind_case = "case";
constexpr std::string_view kind_consent = "consent";
constexpr std::string_view field_scope = "scope";
constexpr std::string_view scope_processing = "processing";

bool earlier(const CaseOperation& a, const CaseOperation& b) {
    return std::tie(a.hlc, a.origin, a.seq) < std::tie(b.hlc, b.origin, b.seq);
}

// The case a change names for its record, as the server reads it.
std::optional<std::string> case_named_by(const Change& c) {
    if (c.kind == kind_case) return c.record;
    if (const FieldOp* link = c.op(field_case_link); link && link->value && link->value->is_string()) {
        return link->value->get<std::string>();
    }
    return std::nullopt;
}

}  // namespace

CaseTracker::CaseTracker(AuditState& state) : state_(state) {
    for (const auto& [key, facts] : state_.cases) {
        for (const auto& record : facts.records) case_of_.emplace(SiteRecord{key.first, record}, key.second);
    }
}

void CaseTracker::add(const Change& c, std::uint64_t server_seq) {
    SiteRecord record{c.site, c.record};
    if (const auto named = case_named_by(c)) {
        // The first word on a record stands (ON CONFLICT DO NOTHING on the server).
        if (case_of_.emplace(record, *named).second) {
            state_.cases[SiteRecord{c.site, *named}].records.push_back(c.record);
        }
    }
    const bool erasing = c.op(field_erased) != nullptr;
    if (erasing) state_.erased_records.insert(record);
    const auto it = case_of_.find(record);
    if (it == case_of_.end()) return;
    const std::string& case_id = it->second;

    CaseFacts& facts = state_.cases[SiteRecord{c.site, case_id}];
    const bool is_case = c.kind == kind_case && c.record == case_id;
    if (erasing && is_case) facts.erased = true;
    // Needs no consent: the case's creation, consents themselves, erasures.
    bool exempt = erasing || c.kind == kind_consent;
    if (is_case && !facts.created) {
        facts.created = true;
        exempt = true;
    }
    if (c.kind == kind_consent) {
        const FieldOp* scope = c.op(field_scope);
        if (scope && scope->value && *scope->value == scope_processing) {
            facts.consent_hlc = facts.consent_hlc ? std::min(*facts.consent_hlc, c.hlc) : c.hlc;
        }
    }
    if (exempt) return;
    const CaseOperation op{c.hlc, c.origin, c.seq, server_seq};
    if (!facts.first_operation || earlier(op, *facts.first_operation)) facts.first_operation = op;
}

bool CaseTracker::erased(const std::string& site, const std::string& record) const {
    if (state_.erased_records.count(SiteRecord{site, record})) return true;
    const auto it = case_of_.find(SiteRecord{site, record});
    return it != case_of_.end() && state_.erased_records.count(SiteRecord{site, it->second});
}

std::vector<Finding> CaseTracker::consent_findings() const {
    std::vector<Finding> out;
    for (const auto& [key, facts] : state_.cases) {
        const std::string& case_id = key.second;
        if (!facts.first_operation) continue;
        const CaseOperation& op = *facts.first_operation;
        if (facts.consent_hlc && op.hlc >= *facts.consent_hlc) continue;
        Finding f;
        f.case_id = case_id;
        f.change = change_id(op.origin, op.seq);
        f.server_seq = op.server_seq;
        f.message = clip(facts.consent_hlc
                             ? "case " + case_id + ": change " + f.change +
                                   " operated on it before its first processing consent"
                             : "case " + case_id + ": change " + f.change +
                                   " operated on it, and it has no processing consent");
        out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.server_seq < b.server_seq; });
    return out;
}

}  // namespace kim::audit
