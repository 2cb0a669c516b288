// Catalogue rules every change must satisfy, wherever it comes from.
#include "kim/shared/change_rules.hpp"

#include "kim/shared/errors.hpp"

namespace kim {

void check_change_against_catalogue(const Catalogue& catalogue, const Change& c) {
    const std::string where = "change " + c.id();
    if (!catalogue.kind(c.kind)) throw InputError(where + ": unknown record kind '" + c.kind + "'");
    if (c.hlc > max_hlc) throw InputError(where + ": clock value out of range");
    // An append-only record (the case journal) is written once, by the change
    // that creates it with its case link; afterwards it can only be erased.
    if (catalogue.kind(c.kind)->append_only && !c.op(field_case_link) &&
        !(c.ops.size() == 1 && c.ops.front().field == field_erased)) {
        throw InputError(where + ": a " + c.kind + " is append-only and cannot be edited");
    }
    for (const auto& op : c.ops) {
        const FieldSpec* spec = catalogue.field(c.kind, op.field);
        if (!spec) throw InputError(where + ": unknown field '" + op.field + "' for a " + c.kind);
        if (spec->confidential) {
            if (!op.ct_hash) throw InputError(where + ": confidential field '" + op.field + "' must be encrypted");
            if (op.value) throw InputError(where + ": confidential field '" + op.field + "' must not carry a clear value");
        } else {
            if (!op.value) throw InputError(where + ": statistical field '" + op.field + "' must carry a clear value");
            if (op.ct_hash || op.ct) {
                throw InputError(where + ": statistical field '" + op.field + "' must not carry a ciphertext");
            }
            try {
                catalogue.check_statistical_value(c.kind, *spec, *op.value);
            } catch (const InputError& e) {
                throw InputError(where + ": " + e.what());
            }
        }
    }
}

}  // namespace kim
