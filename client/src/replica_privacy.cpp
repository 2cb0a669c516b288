// The Replica's privacy duties: the retention period and the cases past it
// (erased with Replica::erase), and the access-request export of one case.
#include <string>

#include "privacy/case_export.hpp"
#include "privacy/retention.hpp"
#include "replica_impl.hpp"
#include "store/meta.hpp"
#include "kim/shared/errors.hpp"

namespace kim::client {

namespace {

std::string range_text() { return "0 to " + std::to_string(Replica::max_retention_years); }

}  // namespace

int Replica::retention_years() {
    const auto text = meta::get(*impl_->db, meta::retention_years);
    if (!text || text->empty()) return default_retention_years;
    try {
        std::size_t used = 0;
        const int years = std::stoi(*text, &used);
        if (used == text->size() && years >= 0 && years <= max_retention_years) return years;
    } catch (const std::exception&) {
    }
    // Erasing by a damaged setting could destroy cases early: refuse instead.
    throw IntegrityError("the replica's retention setting is damaged; set it again with `kim config retention YEARS` (" +
                         range_text() + ")");
}

void Replica::set_retention_years(int years) {
    if (years < 0 || years > max_retention_years) {
        throw InputError("the retention period must be " + range_text() + " years after closure, not " + std::to_string(years));
    }
    meta::put(*impl_->db, meta::retention_years, std::to_string(years));
}

std::vector<RetentionDue> Replica::retention_due(std::uint64_t now_millis) {
    return find_retention_due(*impl_->db, impl_->merge, retention_years(), now_millis);
}

nlohmann::json Replica::export_case(std::string_view case_id) {
    auto& m = *impl_;
    const auto row = m.merge.record(case_id);
    if (!row) throw NotFoundError("no case " + std::string(case_id) + " in this replica; `kim case list` shows the cases");
    if (row->kind != "case") {
        throw InputError("record " + std::string(case_id) + " is a " + row->kind + ", not a case; export its case (" +
                         (row->case_id.empty() ? std::string("`kim record show` names it") : row->case_id) + ")");
    }
    ExportContext ctx{*m.db, m.log, m.merge, m.reader, m.catalogue, m.site, m.replica, m.clock.now_millis()};
    // One read transaction: the export is one consistent state, even while
    // another kim process imports.
    sqlite::Transaction read(*m.db, sqlite::Transaction::Mode::read);
    nlohmann::json doc = kim::client::export_case(ctx, std::string(case_id), records_of_case(case_id));
    read.commit();
    return doc;
}

}  // namespace kim::client
