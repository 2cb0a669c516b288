// Maintaining heads, case links and erasure in SQLite as changes arrive.
#include "merge_engine.hpp"

#include <algorithm>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"

namespace kim::client {

void MergeEngine::apply(const Change& c) {
    const std::string id = c.id();
    if (auto existing = record(c.record)) {
        if (existing->kind != c.kind) {
            throw IntegrityError("change " + id + " names record " + c.record + " a " + c.kind + ", but it is a " +
                                 existing->kind);
        }
    } else {
        sqlite::Statement ins(db_, "INSERT INTO records(record, kind, case_id, erased) VALUES(?, ?, NULL, 0)");
        ins.bind(1, c.record).bind(2, c.kind).run();
    }

    sqlite::Statement add_parent(db_, "INSERT OR IGNORE INTO field_parents(record, field, parent) VALUES(?, ?, ?)");
    sqlite::Statement demote(db_, "UPDATE field_ops SET is_head = 0 WHERE record = ? AND field = ? AND change_id = ?");
    sqlite::Statement superseded(db_, "SELECT 1 FROM field_parents WHERE record = ? AND field = ? AND parent = ?");
    sqlite::Statement add_op(db_,
                             "INSERT OR IGNORE INTO field_ops(record, field, change_id, origin, seq, hlc, value, ct_hash, is_head) "
                             "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bool touches_case_link = false;
    bool erases = false;
    for (const auto& op : c.ops) {
        for (const auto& parent : op.parents) {
            add_parent.bind(1, c.record).bind(2, op.field).bind(3, parent).run();
            demote.bind(1, c.record).bind(2, op.field).bind(3, parent).run();
        }
        superseded.bind(1, c.record).bind(2, op.field).bind(3, id);
        const bool is_head = !superseded.step();
        superseded.reset();
        add_op.bind(1, c.record)
            .bind(2, op.field)
            .bind(3, id)
            .bind(4, c.origin)
            .bind(5, static_cast<std::int64_t>(c.seq))
            .bind(6, static_cast<std::int64_t>(c.hlc));
        if (op.value) add_op.bind(7, op.value->dump()); else add_op.bind_null(7);
        if (op.ct_hash) add_op.bind(8, *op.ct_hash); else add_op.bind_null(8);
        add_op.bind(9, std::int64_t{is_head ? 1 : 0}).run();
        touches_case_link |= op.field == field_case_link;
        erases |= op.field == field_erased;
    }
    if (touches_case_link) refresh_case_link(c.record);
    if (erases) {
        sqlite::Statement mark(db_, "UPDATE records SET erased = 1 WHERE record = ?");
        mark.bind(1, c.record).run();
    }
    purge_if_erased(c.record, c.kind, erases);
}

void MergeEngine::refresh_case_link(const std::string& record) {
    const auto h = heads(record, field_case_link);
    std::string case_id;
    if (!h.empty() && h.front().value) case_id = nlohmann::json::parse(*h.front().value).get<std::string>();
    sqlite::Statement st(db_, "UPDATE records SET case_id = ? WHERE record = ?");
    if (case_id.empty()) st.bind_null(1); else st.bind(1, case_id);
    st.bind(2, record).run();
}

void MergeEngine::purge_if_erased(const std::string& record, const std::string& kind, bool erasure_now) {
    if (!effectively_erased(record)) return;
    erasure_seen_ = true;
    log_.purge_record(record);
    if (kind == "case") {
        // Crypto-shredding: with the case key gone, nothing of the case can be read.
        sqlite::Statement children(db_, "SELECT record FROM records WHERE case_id = ?");
        children.bind(1, record);
        while (children.step()) log_.purge_record(children.text(0));
    }
    // Changes held for a gap are not in the log yet, but their ciphertexts
    // are on disk (and travel on in exports) all the same. Swept once, when
    // the erasure itself is applied: held changes that arrive later are swept
    // at the end of their import or pulled page, so a page full of changes
    // to an erased case does not scan `pending` once per change.
    if (erasure_now) purge_held_of_erased();
}

void MergeEngine::purge_held_of_erased() {
    // A held edit of a record names only the record; when the change that
    // created it (and links it to its case) is held too, the record is not in
    // `records` yet, and only the held link says which case it belongs to.
    std::map<std::string, std::string> held_links;
    log_.for_each_pending([&](const Change& held) {
        const FieldOp* link = held.op(field_case_link);
        if (link && link->value && link->value->is_string()) held_links[held.record] = link->value->get<std::string>();
    });
    const auto stripped = log_.purge_pending([&](const Change& held) {
        if (erased_here(held)) return true;
        const auto link = held_links.find(held.record);
        return link != held_links.end() && effectively_erased(link->second);
    });
    if (stripped > 0) erasure_seen_ = true;
}

bool MergeEngine::any_erased() {
    sqlite::Statement st(db_, "SELECT 1 FROM records WHERE erased = 1 LIMIT 1");
    return st.step();
}

bool MergeEngine::erased_here(const Change& c) {
    if (effectively_erased(c.record)) return true;
    const FieldOp* link = c.op(field_case_link);
    return link && link->value && link->value->is_string() && effectively_erased(link->value->get<std::string>());
}

std::optional<RecordRow> MergeEngine::record(std::string_view id) {
    sqlite::Statement st(db_, "SELECT kind, case_id, erased FROM records WHERE record = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return RecordRow{st.text(0), st.text(1), st.integer(2) != 0};
}

bool MergeEngine::effectively_erased(std::string_view id) {
    sqlite::Statement st(db_,
                         "SELECT r.erased OR COALESCE(c.erased, 0) FROM records r "
                         "LEFT JOIN records c ON c.record = r.case_id WHERE r.record = ?");
    st.bind(1, id);
    return st.step() && st.integer(0) != 0;
}

namespace {

Head head_from_row(const sqlite::Statement& st) {
    Head h;
    h.change_id = st.text(0);
    h.origin = st.text(1);
    h.seq = static_cast<std::uint64_t>(st.integer(2));
    h.hlc = static_cast<std::uint64_t>(st.integer(3));
    if (!st.is_null(4)) h.value = st.text(4);
    if (!st.is_null(5)) {
        const Bytes b = st.blob(5);
        Hash32 hash{};
        if (b.size() != hash.size()) throw IntegrityError("a stored ciphertext hash has the wrong size; the replica is damaged");
        std::copy(b.begin(), b.end(), hash.begin());
        h.ct_hash = hash;
    }
    return h;
}

}  // namespace

std::map<std::string, std::vector<Head>> MergeEngine::heads_by_field(std::string_view record) {
    sqlite::Statement st(db_,
                         "SELECT change_id, origin, seq, hlc, value, ct_hash, field FROM field_ops "
                         "WHERE is_head = 1 AND record = ? ORDER BY field, hlc DESC, origin DESC, seq DESC");
    st.bind(1, record);
    std::map<std::string, std::vector<Head>> out;
    while (st.step()) out[st.text(6)].push_back(head_from_row(st));
    return out;
}

std::vector<Head> MergeEngine::heads(std::string_view record, std::string_view field) {
    sqlite::Statement st(db_,
                         "SELECT change_id, origin, seq, hlc, value, ct_hash FROM field_ops "
                         "WHERE is_head = 1 AND record = ? AND field = ? ORDER BY hlc DESC, origin DESC, seq DESC");
    st.bind(1, record).bind(2, field);
    std::vector<Head> out;
    while (st.step()) out.push_back(head_from_row(st));
    return out;
}

}  // namespace kim::client
