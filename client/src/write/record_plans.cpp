// Planning of new and changed records: catalogue checks and the defaults kim fills in.
#include "record_plans.hpp"

#include <set>

#include "field_defaults.hpp"
#include "kim/shared/errors.hpp"

namespace kim::client {

namespace {

// `case`, `_key` and `_erased`: written by kim itself, never typed.
bool is_reserved(const FieldSpec& spec) {
    return spec.type == FieldType::record_ref || spec.type == FieldType::key || spec.type == FieldType::flag;
}

const PlannedOp* find_op(const std::vector<PlannedOp>& ops, std::string_view field) {
    for (const auto& op : ops) {
        if (op.field == field) return &op;
    }
    return nullptr;
}

bool has_field(const std::vector<PlannedOp>& ops, std::string_view field) { return find_op(ops, field) != nullptr; }

std::string plaintext_of(const std::vector<PlannedOp>& ops, std::string_view field) {
    for (const auto& op : ops) {
        if (op.field == field && op.plaintext) return to_string(*op.plaintext);
    }
    return {};
}

}  // namespace

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

void add_default(std::vector<PlannedOp>& ops, std::string field, std::string value) {
    if (has_field(ops, field)) return;
    PlannedOp op;
    op.field = std::move(field);
    op.value = std::move(value);
    ops.push_back(std::move(op));
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

std::vector<PlannedOp> plan_new_case(const Catalogue& cat, const FieldInputs& fields, const Key32& case_key) {
    std::vector<PlannedOp> ops = plan_inputs(cat, "case", fields);
    add_default(ops, "phase", "intake");
    add_default(ops, "opened_quarter", quarter_of(today()));
    derive_age_band(ops);
    PlannedOp key_op;
    key_op.field = std::string(field_case_key);
    key_op.plaintext = Bytes(case_key.data(), case_key.data() + case_key.size());
    key_op.seals_case_key = true;
    ops.push_back(std::move(key_op));
    return ops;
}

void require_case_record_kind(const Catalogue& cat, std::string_view kind) {
    const KindSpec* spec = cat.kind(kind);
    if (!spec || !spec->belongs_to_case) {
        throw InputError("'" + std::string(kind) + "' cannot be added to a case; use one of: consent, goal, referral, contact");
    }
}

std::vector<PlannedOp> plan_new_record(const Catalogue& cat, std::string_view kind, std::string_view case_id,
                                       const FieldInputs& fields) {
    require_case_record_kind(cat, kind);
    std::vector<PlannedOp> ops = plan_inputs(cat, kind, fields);
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
    return ops;
}

}  // namespace kim::client
