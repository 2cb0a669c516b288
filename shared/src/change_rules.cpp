// Catalogue rules every change must satisfy, wherever it comes from.
#include "kim/shared/change_rules.hpp"

#include "kim/shared/errors.hpp"

namespace kim {

void check_change_against_catalogue(const Catalogue& catalogue, const Change& c) {
    const std::string where = "change " + c.id() + ": ";
    const auto fail = [&](CatalogueViolation violation, const std::string& what) {
        throw CatalogueError(violation, where + what);
    };
    using enum CatalogueViolation;
    if (!catalogue.kind(c.kind)) fail(unknown_kind, "unknown record kind '" + c.kind + "'");
    if (c.hlc > max_hlc) fail(misuse, "clock value out of range");
    // An append-only record (the case journal) is written once, by the change
    // that creates it with its case link; afterwards it can only be erased.
    if (catalogue.kind(c.kind)->append_only && !c.op(field_case_link) &&
        !(c.ops.size() == 1 && c.ops.front().field == field_erased)) {
        fail(misuse, "a " + c.kind + " is append-only and cannot be edited");
    }
    for (const auto& op : c.ops) {
        const FieldSpec* spec = catalogue.field(c.kind, op.field);
        if (!spec) fail(unknown_field, "unknown field '" + op.field + "' for a " + c.kind);
        if (spec->confidential) {
            if (!op.ct_hash) fail(misuse, "confidential field '" + op.field + "' must be encrypted");
            if (op.value) fail(misuse, "confidential field '" + op.field + "' must not carry a clear value");
        } else {
            if (!op.value) fail(misuse, "statistical field '" + op.field + "' must carry a clear value");
            if (op.ct_hash || op.ct) fail(misuse, "statistical field '" + op.field + "' must not carry a ciphertext");
            try {
                catalogue.check_statistical_value(c.kind, *spec, *op.value);
            } catch (const InputError& e) {
                fail(bad_value, e.what());
            }
        }
    }
}

}  // namespace kim
