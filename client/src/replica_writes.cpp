// The write commands of a replica: each one signed change in one transaction.
#include "replica_impl.hpp"
#include "kim/sqlite/wal.hpp"
#include "write/field_defaults.hpp"
#include "write/record_plans.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

std::string Replica::create_case(const FieldInputs& fields) {
    auto& m = *impl_;
    const Key32 case_key = crypto::random_key();
    std::vector<PlannedOp> ops = plan_new_case(m.catalogue, fields, case_key);
    const std::string record = random_uuid();
    sqlite::Transaction tx(*m.db);
    m.writer.commit(record, "case", std::move(ops), &case_key);
    tx.commit();
    return record;
}

std::string Replica::add_record(std::string_view kind, std::string_view case_id, const FieldInputs& fields) {
    auto& m = *impl_;
    require_case_record_kind(m.catalogue, kind);
    const auto row = m.merge.record(case_id);
    if (!row || row->kind != "case") throw NotFoundError("no case " + std::string(case_id) + " in this replica; `kim case list` shows the cases");
    if (m.merge.effectively_erased(case_id)) throw StateError("case " + std::string(case_id) + " was erased; nothing can be added to it");
    const auto case_key = m.reader.case_key(case_id);
    if (!case_key) throw StateError("the key of case " + std::string(case_id) + " has not arrived here yet; import the case's changes first");

    std::vector<PlannedOp> ops = plan_new_record(m.catalogue, kind, case_id, fields);
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
