// What the verifier learns about cases from the clear fields of the log:
// which records belong to which case, which were erased, when each case got
// its processing consent and its earliest operation that needed one. The
// facts live in the AuditState, so that an incremental run goes on with them.
//
// Records are keyed by (site, record), as the server keys them, and a
// record's case follows the server's rule (server/src/store/
// sqlite_append_transaction.cpp, case_named_by): the first change that names
// a case for the record stands — a `case` record names itself, any other
// record the clear `case` link — and later changes cannot move it.
#pragma once

#include <map>
#include <string>
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
    // The record itself, or the case it belongs to, has an `_erased` change
    // in the same site (the server's rule for keeping a ciphertext).
    bool erased(const std::string& site, const std::string& record) const;
    // One finding per case operated on before its first processing consent
    // (or without one), by the server seq of that operation.
    std::vector<Finding> consent_findings() const;

private:
    AuditState& state_;
    std::map<SiteRecord, std::string> case_of_;  // (site, record) → its case (a case record: itself)
};

}  // namespace kim::audit
