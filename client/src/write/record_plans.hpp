// What a person typed for a new or changed record, checked against the
// catalogue and turned into planned field operations: shared by the single
// writes (replica_writes.cpp) and the batch import (case_batch.cpp), so that
// both check and default exactly alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "local_writer.hpp"
#include "kim/client/replica.hpp"
#include "kim/shared/catalogue.hpp"

namespace kim::client {

// Validates the inputs of `kind` (known, writable, allowed values, no field
// twice) and plans them without parents. InputError naming the field, never
// its value.
std::vector<PlannedOp> plan_inputs(const Catalogue& cat, std::string_view kind, const FieldInputs& inputs);

// Adds `field` = `value` (statistical) unless the ops already set it.
void add_default(std::vector<PlannedOp>& ops, std::string field, std::string value);

// Fills in age_band from birth_date (and checks a given band agrees with it).
void derive_age_band(std::vector<PlannedOp>& ops);

// The ops of a new case: its fields with the defaults (phase, opened
// quarter, age band) and its key sealed under the site key.
std::vector<PlannedOp> plan_new_case(const Catalogue& cat, const FieldInputs& fields, const Key32& case_key);

// The ops of a new consent, goal, referral or contact of `case_id`, with
// their defaults and the link to the case. InputError for any other kind.
std::vector<PlannedOp> plan_new_record(const Catalogue& cat, std::string_view kind, std::string_view case_id,
                                       const FieldInputs& fields);

// The kind is one that hangs off a case; InputError naming the kinds otherwise.
void require_case_record_kind(const Catalogue& cat, std::string_view kind);

}  // namespace kim::client
