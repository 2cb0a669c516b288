// The merge rules on the statistics index: an op's parents leave the heads
// (or wait as early parents when they arrive later), the op becomes a head
// unless a stored op already names it, and the value shown is the greatest head.
#include "stats_index.hpp"

#include <nlohmann/json.hpp>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::server {

namespace {

// The ops the statistics count: clear string values of the kind's fields.
// Not the `case` link (records holds it), nor `_erased` (a boolean; the log's
// `erases` column holds it), nor `_key` (confidential: no value).
bool counted(const FieldOp& op) {
    return op.value && op.value->is_string() && op.field != field_case_link && !op.field.starts_with('_');
}

}  // namespace

void StatsIndex::append(const Change& c, std::uint64_t server_seq) {
    replay(c, server_seq);
    if (!tables_.move_marker(server_seq)) {
        throw IntegrityError("the statistics index is not at server seq " + std::to_string(server_seq - 1) +
                             " of the log; the store was changed under the running server: restart kim-server "
                             "to bring the index up to date");
    }
}

void StatsIndex::replay(const Change& c, std::uint64_t server_seq) {
    const std::string id = c.id();
    for (const auto& op : c.ops) {
        if (counted(op)) apply_op(c, id, op, server_seq);
    }
}

void StatsIndex::apply_op(const Change& c, const std::string& id, const FieldOp& op, std::uint64_t server_seq) {
    const StatPlace at{c.site, c.record, op.field};
    bool heads_changed = false;
    for (const auto& parent : op.parents) heads_changed |= supersede(at, parent, server_seq);
    // An op stored before this change that names it as a parent: this op is
    // born superseded. The note is used up, since a change is stored only once.
    if (!tables_.take_early_parent(at, id)) {
        tables_.add_head(at, c, op.value->get_ref<const std::string&>());
        heads_changed = true;
    }
    if (!heads_changed) return;
    // No head left: only parents that name each other (a forged cycle) get here.
    if (!tables_.show_greatest(at)) tables_.drop_value(at);
}

// Removes `parent` from the heads; when it is not stored yet, remembers that
// it is superseded for when it arrives. True when a head went.
bool StatsIndex::supersede(const StatPlace& at, const std::string& parent, std::uint64_t server_seq) {
    const auto p = parse_change_id(parent);
    if (!p) return false;  // change_from_json refuses these; nothing can carry that id
    if (tables_.drop_head(at, p->origin, p->seq)) return true;
    // "Stored" is "at or before this change in the log": at open the log
    // already holds later changes, which the replay has not applied yet.
    // A stored parent that is no head was superseded already (or never
    // touched this field): nothing to remember.
    if (!tables_.stored_by(p->origin, p->seq, server_seq)) tables_.add_early_parent(at, parent);
    return false;
}

Change stored_change(std::string_view envelope, std::uint64_t server_seq) {
    try {
        return change_from_json(nlohmann::json::parse(envelope));
    } catch (const nlohmann::json::exception& e) {
        throw IntegrityError("the stored change at server seq " + std::to_string(server_seq) +
                             " is not valid JSON (" + e.what() + "); the server store is damaged: restore it from a backup");
    } catch (const InputError& e) {
        throw IntegrityError("the stored change at server seq " + std::to_string(server_seq) + " cannot be read (" +
                             e.what() + "); the server store is damaged: restore it from a backup");
    }
}

}  // namespace kim::server
