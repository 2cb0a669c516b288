// What the verifier learns about cases from the clear fields of the log:
// which records belong to which case, which were erased, when each case got
// its processing consent and its earliest operation that needed one. The
// facts live in the AuditState, so that an incremental run goes on with them.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "kim/audit/report.hpp"
#include "kim/audit/state.hpp"
#include "kim/shared/change.hpp"

namespace kim::audit {

class CaseTracker {
public:
    explicit CaseTracker(AuditState& state);

    // One change of the log, in log order.
    void add(const Change& change, std::uint64_t server_seq);
    // The record itself, or the case it belongs to, has an `_erased` change.
    bool erased(const std::string& record) const;
    // One finding per case operated on before its first processing consent
    // (or without one), by the server seq of that operation.
    std::vector<Finding> consent_findings() const;

private:
    AuditState& state_;
    std::unordered_map<std::string, std::string> case_of_;  // record → case (non-case records)
};

}  // namespace kim::audit
