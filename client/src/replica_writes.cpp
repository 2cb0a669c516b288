// The write commands of a replica: each one signed change in one transaction.
#include <set>

#include "replica_impl.hpp"
#include "kim/sqlite/wal.hpp"
#include "write/field_defaults.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

namespace {

// `case`, `_key` and `_erased`: written by kim itself, never typed.
bool is_reserved(const FieldSpec& spec) {
    return spec.type == FieldType::record_ref || spec.type == FieldType::key || spec.type == FieldType::flag;
}

// Validates what a person typed and turns it into planned ops (no parents yet).
std::vector<PlannedOp> plan_inputs(const Catalogue& cat, std::string_view kind, const FieldInputs& inputs) {
    std::vector<PlannedOp> ops;
    std::set<std::string> seen;
    for (const auto& [field, text] : inputs) {
        if (!seen.insert(field).second) throw InputError("field '" + field + "' is given twice");
        const FieldSpec& spec = cat.require_field(kind, field);
        if (is_reserved(spec)) throw InputError("field '" + field + "' is managed by kim and cannot be set by hand");
        PlannedOp op;
        op.field = field;
        if (spec.confidential) {
            cat.check_confidential_text(kind, spec, text);
            op.plaintext = Bytes(text.begin(), text.end());
        } else {
            const nlohmann::json value = text;
            cat.check_statistical_value(kind, spec, value);
            op.value = value;
        }
        ops.push_back(std::move(op));
    }
    return ops;
}


const PlannedOp* find_op(const std::vector<PlannedOp>& ops, std::string_view field) {
    for (const auto& op : ops) {
        if (op.field == field) return &op;
    }
    return nullptr;
}

bool has_field(const std::vector<PlannedOp>& ops, std::string_view field) { return find_op(ops, field) != nullptr; }

void add_default(std::vector<PlannedOp>& ops, std::string field, std::string value) {
    if (has_field(ops, field)) return;
    PlannedOp op;
    op.field = std::move(field);
    op.value = std::move(value);
    ops.push_back(std::move(op));
}

std::string plaintext_of(const std::vector<PlannedOp>& ops, std::string_view field) {
    for (const auto& op : ops) {
        if (op.field == field && op.plaintext) return to_string(*op.plaintext);
    }
    return {};
}


// The coarse age band travels in clear so that coordinators can count; the
// date of birth stays encrypted. A band given by hand must agree with it.
void derive_age_band(std::vector<PlannedOp>& ops) {
    const std::string born = plaintext_of(ops, "birth_date");
    if (born.empty()) return;
    const auto band = age_band(born, today());
    if (!band) throw InputError("case field 'birth_date' lies in the future; check the date");
    if (const PlannedOp* given = find_op(ops, "age_band"); given && given->value != nlohmann::json(*band)) {
        throw InputError("age_band does not match birth_date (which gives " + *band + "); leave age_band out and kim derives it");
    }
    add_default(ops, "age_band", *band);
}

}  // namespace

std::string Replica::create_case(const FieldInputs& fields) {
    auto& m = *impl_;
    std::vector<PlannedOp> ops = plan_inputs(m.catalogue, "case", fields);
    const auto day = today();
    add_default(ops, "phase", "intake");
    add_default(ops, "opened_quarter", quarter_of(day));
    derive_age_band(ops);
    const Key32 case_key = crypto::random_key();
    PlannedOp key_op;
    key_op.field = std::string(field_case_key);
    key_op.plaintext = Bytes(case_key.data(), case_key.data() + case_key.size());
    key_op.seals_case_key = true;
    ops.push_back(std::move(key_op));

    const std::string record = random_uuid();
    sqlite::Transaction tx(*m.db);
    m.writer.commit(record, "case", std::move(ops), &case_key);
    tx.commit();
    return record;
}

std::string Replica::add_record(std::string_view kind, std::string_view case_id, const FieldInputs& fields) {
    auto& m = *impl_;
    const KindSpec* spec = m.catalogue.kind(kind);
    if (!spec || !spec->belongs_to_case) {
        throw InputError("'" + std::string(kind) + "' cannot be added to a case; use one of: consent, goal, referral, contact");
    }
    const auto row = m.merge.record(case_id);
    if (!row || row->kind != "case") throw NotFoundError("no case " + std::string(case_id) + " in this replica; `kim case list` shows the cases");
    if (m.merge.effectively_erased(case_id)) throw StateError("case " + std::string(case_id) + " was erased; nothing can be added to it");
    const auto case_key = m.reader.case_key(case_id);
    if (!case_key) throw StateError("the key of case " + std::string(case_id) + " has not arrived here yet; import the case's changes first");

    std::vector<PlannedOp> ops = plan_inputs(m.catalogue, kind, fields);
    const auto day = today();
    if (kind == "consent") {
        add_default(ops, "given_quarter", quarter_of(day));
        add_default(ops, "withdrawn", "no");
    } else if (kind == "goal") {
        add_default(ops, "status", "open");
    } else if (kind == "referral") {
        add_default(ops, "outcome", "pending");
    } else if (kind == "contact" && !has_field(ops, "text")) {
        // Contacts cannot be corrected later (append-only), so an empty one is refused.
        throw InputError("a contact needs its note: add text=\"...\"");
    }
    if (kind == "contact" && !has_field(ops, "date")) {
        PlannedOp date;
        date.field = "date";
        const std::string d = iso_date(day);
        date.plaintext = Bytes(d.begin(), d.end());
        ops.push_back(std::move(date));
    }
    PlannedOp link;
    link.field = std::string(field_case_link);
    link.value = std::string(case_id);
    ops.push_back(std::move(link));

    const std::string record = random_uuid();
    sqlite::Transaction tx(*m.db);
    m.writer.commit(record, std::string(kind), std::move(ops), &*case_key);
    tx.commit();
    return record;
}

namespace {

struct Editable {
    RecordRow row;
    std::optional<Key32> case_key;
};

Editable require_editable(Replica::Impl& m, std::string_view record) {
    const auto row = m.merge.record(record);
    if (!row) throw NotFoundError("no record " + std::string(record) + " in this replica; `kim case list` shows the cases");
    if (m.merge.effectively_erased(record)) throw StateError("record " + std::string(record) + " was erased and cannot be changed");
    const std::string case_id = row->kind == "case" ? std::string(record) : row->case_id;
    return {*row, case_id.empty() ? std::nullopt : m.reader.case_key(case_id)};
}

}  // namespace

void Replica::set_fields(std::string_view record, const FieldInputs& fields) {
    auto& m = *impl_;
    if (fields.empty()) throw InputError("nothing to set: give one or more field=value");
    const Editable e = require_editable(m, record);
    const KindSpec* kind = m.catalogue.kind(e.row.kind);
    if (kind && kind->append_only) {
        throw StateError("a " + e.row.kind + " is append-only (the case journal): add a new one instead of editing");
    }
    std::vector<PlannedOp> ops = plan_inputs(m.catalogue, e.row.kind, fields);
    if (e.row.kind == "case") {
        derive_age_band(ops);
        for (const auto& op : ops) {
            if (op.field == "phase" && op.value == nlohmann::json("closed") && m.merge.heads(record, "closed_quarter").empty()) {
                add_default(ops, "closed_quarter", quarter_of(today()));
                break;
            }
        }
    }
    bool needs_key = false;
    for (auto& op : ops) {
        // An ordinary edit supersedes only the displayed head, so a conflict
        // stays listed until someone resolves it.
        const auto heads = m.merge.heads(record, op.field);
        if (!heads.empty()) op.parents.push_back(heads.front().change_id);
        needs_key |= op.plaintext.has_value();
    }
    if (needs_key && !e.case_key) throw StateError("the case key of record " + std::string(record) + " is not here; import the case's changes first");
    sqlite::Transaction tx(*m.db);
    m.writer.commit(std::string(record), e.row.kind, std::move(ops), e.case_key ? &*e.case_key : nullptr);
    tx.commit();
}

void Replica::resolve(std::string_view record, std::string_view field, std::string_view value) {
    auto& m = *impl_;
    const Editable e = require_editable(m, record);
    std::vector<PlannedOp> ops = plan_inputs(m.catalogue, e.row.kind, {{std::string(field), std::string(value)}});
    const auto heads = m.merge.heads(record, field);
    if (heads.size() < 2) {
        throw StateError("field '" + std::string(field) + "' of record " + std::string(record) +
                         " has no conflict to resolve; change it with `kim case set` (cases) or `kim record set`");
    }
    for (const auto& h : heads) ops.front().parents.push_back(h.change_id);
    if (ops.front().plaintext && !e.case_key) throw StateError("the case key of record " + std::string(record) + " is not here");
    sqlite::Transaction tx(*m.db);
    m.writer.commit(std::string(record), e.row.kind, std::move(ops), e.case_key ? &*e.case_key : nullptr);
    tx.commit();
}

void Replica::erase(std::string_view record) {
    auto& m = *impl_;
    const auto row = m.merge.record(record);
    if (!row) throw NotFoundError("no record " + std::string(record) + " in this replica");
    if (m.merge.effectively_erased(record)) throw StateError("record " + std::string(record) + " is already erased");
    PlannedOp op;
    op.field = std::string(field_erased);
    op.value = true;
    sqlite::Transaction tx(*m.db);
    m.writer.commit(std::string(record), row->kind, {std::move(op)}, nullptr);
    tx.commit();
    m.reader.forget(record);
    m.merge.take_erasure_flag();
    sqlite::truncate_wal(*m.db);
}

}  // namespace kim::client
