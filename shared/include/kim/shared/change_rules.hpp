// Checks of a change against the field catalogue, shared by replicas and the server.
#pragma once

#include "kim/shared/catalogue.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/errors.hpp"

namespace kim {

// Largest hlc a change may carry (it must fit SQLite's signed 64-bit integers).
inline constexpr std::uint64_t max_hlc = (std::uint64_t{1} << 63) - 1;

// What a change breaks in the catalogue; the server reports it per change.
enum class CatalogueViolation {
    unknown_kind,
    unknown_field,
    bad_value,     // a statistical value outside the field's list
    misuse,        // clear value on a confidential field (or the reverse), append-only edited, clock out of range
};

class CatalogueError : public InputError {
public:
    CatalogueError(CatalogueViolation violation, const std::string& message)
        : InputError(message), violation_(violation) {}
    CatalogueViolation violation() const { return violation_; }

private:
    CatalogueViolation violation_;
};

// Throws CatalogueError (an InputError) naming the change and the problem when a field is
// unknown for the kind, a statistical value is not allowed, a confidential
// field carries a clear value (or the reverse), or a reserved field is misused.
void check_change_against_catalogue(const Catalogue& catalogue, const Change& change);

}  // namespace kim
