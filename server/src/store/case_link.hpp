// What a change says about the case its record belongs to, as every store
// learns it in the push transaction (the `records` table of each backend).
#pragma once

#include <optional>
#include <string>

#include "kim/shared/change.hpp"

namespace kim::server {

// The case a change names for its record: the record itself for a case,
// the clear `case` link for the change that creates any other record;
// nothing for later edits, which do not repeat the link.
std::optional<std::string> case_named_by(const Change& c);

}  // namespace kim::server
