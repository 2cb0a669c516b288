// Finding the closed cases whose retention period is over.
#include "retention.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "kim/shared/hlc.hpp"

namespace kim::client {

std::uint64_t retention_deadline(std::uint64_t closed_millis, int years) {
    using namespace std::chrono;
    const sys_time<milliseconds> closed{milliseconds(closed_millis)};
    const sys_days day = floor<days>(closed);
    // year_month_day + years may give 29 February of a common year; its
    // conversion to sys_days then lands on 1 March (C++20 [time.cal.ymd.nonmembers]).
    const sys_days later{year_month_day(day) + std::chrono::years(years)};
    return closed_millis + static_cast<std::uint64_t>(duration_cast<milliseconds>(later - day).count());
}

std::vector<RetentionDue> find_retention_due(sqlite::Database& db, MergeEngine& merge, int years, std::uint64_t now_millis) {
    // Candidates: some head of phase is closed. The shown head (greatest hlc,
    // origin, seq) decides below, as it does for every list and count.
    std::vector<std::string> candidates;
    {
        sqlite::Statement st(db,
                             "SELECT DISTINCT r.record FROM records r JOIN field_ops f ON f.record = r.record "
                             "WHERE r.kind = 'case' AND r.erased = 0 AND f.field = 'phase' AND f.is_head = 1 "
                             "AND f.value = '\"closed\"' ORDER BY r.record");
        while (st.step()) candidates.push_back(st.text(0));
    }
    std::vector<RetentionDue> due;
    for (const auto& id : candidates) {
        const auto heads = merge.heads(id, "phase");
        if (heads.empty() || heads.front().value != std::string("\"closed\"")) continue;
        // The closing change's own time: closed_quarter in clear is only coarse.
        const std::uint64_t closed = hlc_millis(heads.front().hlc);
        if (now_millis < retention_deadline(closed, years)) continue;
        due.push_back({id, heads.front().change_id, closed, heads.size() > 1});
    }
    std::sort(due.begin(), due.end(), [](const RetentionDue& a, const RetentionDue& b) {
        return std::tie(a.closed_millis, a.case_id) < std::tie(b.closed_millis, b.case_id);
    });
    return due;
}

}  // namespace kim::client
