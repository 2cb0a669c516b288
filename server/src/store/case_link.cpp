#include "case_link.hpp"

#include "kim/shared/catalogue.hpp"

namespace kim::server {

std::optional<std::string> case_named_by(const Change& c) {
    if (c.kind == "case") return c.record;
    if (const FieldOp* link = c.op(field_case_link); link && link->value && link->value->is_string()) {
        return link->value->get<std::string>();
    }
    return std::nullopt;
}

}  // namespace kim::server
