// The read commands of a replica: records, lists and conflicts.
#include <cctype>

#include "replica_impl.hpp"
#include "kim/shared/errors.hpp"

namespace kim::client {

std::string Replica::resolve_id(std::string_view typed) {
    std::string lowered(typed);
    for (auto& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string_view text = lowered;
    const bool hexish = !text.empty() && text.find_first_not_of("0123456789abcdef-") == std::string_view::npos;
    // Not quoted: what was typed instead of an id is often a person's name.
    if (!hexish) {
        throw InputError("that is not a record id: ids are made of 0-9, a-f and '-', like 3f2a9c1e-... "
                         "(`kim case list` shows them)");
    }
    if (text.size() < 4) throw InputError("give at least 4 characters of the record id");
    sqlite::Statement st(*impl_->db, "SELECT record FROM records WHERE record >= ? AND record < ? ORDER BY record LIMIT 6");
    std::string upper(text);
    upper.push_back('\x7f');
    st.bind(1, text).bind(2, upper);
    std::vector<std::string> found;
    while (st.step()) found.push_back(st.text(0));
    if (found.empty()) throw NotFoundError("no record " + std::string(text) + " in this replica; `kim case list` shows the cases");
    if (found.size() > 1) {
        std::string list;
        for (std::size_t i = 0; i < found.size() && i < 5; ++i) list += "\n  " + found[i];
        throw InputError("'" + std::string(text) + "' matches several records; give more characters of the id:" + list +
                         (found.size() > 5 ? "\n  ..." : ""));
    }
    return found.front();
}

RecordView Replica::read(std::string_view record) { return impl_->reader.read(record); }

std::string Replica::kind_of(std::string_view record) {
    const auto row = impl_->merge.record(record);
    if (!row) throw NotFoundError("no record " + std::string(record) + " in this replica; `kim case list` shows the cases");
    return row->kind;
}

std::vector<RecordView> Replica::list(std::string_view kind) {
    std::vector<std::string> ids;
    {
        // Oldest first: the order in which the records were opened.
        sqlite::Statement st(*impl_->db,
                             "SELECT r.record FROM records r JOIN changes c ON c.record = r.record "
                             "WHERE r.kind = ? AND r.erased = 0 GROUP BY r.record ORDER BY MIN(c.hlc), r.record");
        st.bind(1, kind);
        while (st.step()) ids.push_back(st.text(0));
    }
    std::vector<RecordView> out;
    for (const auto& id : ids) {
        RecordView v = impl_->reader.read(id);
        if (!v.erased) out.push_back(std::move(v));
    }
    return out;
}

std::vector<std::string> Replica::records_of_case(std::string_view case_id) {
    // In the order they were written, so that the case journal reads chronologically.
    sqlite::Statement st(*impl_->db,
                         "SELECT r.record FROM records r JOIN changes c ON c.record = r.record "
                         "WHERE r.case_id = ? GROUP BY r.record ORDER BY MIN(c.hlc), r.record");
    st.bind(1, case_id);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
}

std::vector<Conflict> Replica::conflicts() {
    auto& m = *impl_;
    std::vector<std::pair<std::string, std::string>> places;
    {
        sqlite::Statement st(*m.db, "SELECT record, field FROM conflicted ORDER BY record, field");
        while (st.step()) places.emplace_back(st.text(0), st.text(1));
    }
    std::vector<Conflict> out;
    for (const auto& [record, field] : places) {
        if (m.merge.effectively_erased(record)) continue;
        const auto row = m.merge.record(record);
        const FieldSpec* spec = m.catalogue.field(row->kind, field);
        if (!spec || field == field_case_key) continue;
        const auto heads = m.merge.heads(record, field);
        if (heads.size() < 2) continue;  // resolved by another kim process since the list was read
        Conflict c{record, row->kind, field, row->case_id, {}};
        for (const auto& h : heads) c.heads.push_back(m.reader.decode(record, *row, *spec, h));
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace kim::client
