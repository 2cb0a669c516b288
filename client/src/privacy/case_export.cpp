// Assembling the access-request export of one case.
#include "case_export.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <tuple>

#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/time_format.hpp"

namespace kim::client {

using nlohmann::json;

namespace {

std::string time_of(std::uint64_t hlc) { return utc_iso_millis(hlc_millis(hlc)); }

json head_json(const HeadValue& h) {
    json j = {{"change", h.change}, {"time", time_of(h.hlc)}};
    if (h.readable) {
        j["value"] = h.value;
    } else {
        j["value"] = nullptr;
        j["unreadable"] = h.unreadable_reason;
    }
    return j;
}

// The `_erased` operations on a record: who erased it and when.
json erasures_of(MergeEngine& merge, const std::string& record) {
    json out = json::array();
    for (const auto& h : merge.heads(record, field_erased)) {
        out.push_back({{"change", h.change_id}, {"origin", h.origin}, {"time", time_of(h.hlc)}});
    }
    return out;
}

// A record as shown now: its fields (null where not readable, with the
// reason), every conflicting value, and the catalogue's labels.
json record_json(ExportContext& ctx, const std::string& id) {
    const RecordView view = ctx.reader.read(id);
    json j = {{"id", view.id}, {"kind", view.kind}, {"erased", view.erased}};
    if (view.erased) {
        j["erasure"] = erasures_of(ctx.merge, id);
        return j;
    }
    json fields = json::object(), labels = json::object(), unreadable = json::object(), conflicts = json::object();
    for (const auto& f : view.fields) {
        fields[f.name] = f.shown.readable ? json(f.shown.value) : json(nullptr);
        if (!f.shown.readable) unreadable[f.name] = f.shown.unreadable_reason;
        if (const FieldSpec* spec = ctx.catalogue.field(view.kind, f.name)) labels[f.name] = spec->label;
        if (!f.conflicting.empty()) {
            json heads = json::array({head_json(f.shown)});
            for (const auto& h : f.conflicting) heads.push_back(head_json(h));
            conflicts[f.name] = std::move(heads);
        }
    }
    j["fields"] = std::move(fields);
    j["labels"] = std::move(labels);
    if (!unreadable.empty()) j["unreadable"] = std::move(unreadable);
    j["conflicts"] = std::move(conflicts);
    return j;
}

// One operation of a change in the history, decrypted where it can be.
json op_json(ExportContext& ctx, const Change& c, const FieldOp& op, const std::string& case_id, bool erased) {
    json j = {{"field", op.field}};
    if (const FieldSpec* spec = ctx.catalogue.field(c.kind, op.field)) j["label"] = spec->label;
    if (!op.parents.empty()) j["supersedes"] = op.parents;
    if (op.field == field_erased) {
        j["value"] = true;
        return j;
    }
    if (erased) {
        j["note"] = "erased: the value was destroyed";
        return j;
    }
    if (op.value) {
        j["value"] = *op.value;
        return j;
    }
    if (op.field == field_case_key) {
        j["note"] = "the case's encryption key (sealed under the site key); not exported";
        return j;
    }
    if (!op.ct) {
        j["note"] = "not readable here: the ciphertext has not been received yet";
        return j;
    }
    if (!op.ct_hash || !crypto::constant_time_equal(crypto::blake2b256(*op.ct), *op.ct_hash)) {
        throw IntegrityError("the stored ciphertext of field '" + op.field + "' of change " + c.id() +
                             " does not match its signed hash: the replica file was damaged or tampered with. "
                             "Restore it from a backup or from another replica of the site");
    }
    const auto key = ctx.reader.case_key(case_id);
    if (!key) {
        j["note"] = "not readable here: the case key has not been received yet";
        return j;
    }
    auto plain = crypto::aead_decrypt(*key, *op.ct, field_associated_data(c.origin, c.seq, c.record, op.field));
    if (!plain) {
        throw IntegrityError("the ciphertext of field '" + op.field + "' of change " + c.id() +
                             " does not decrypt: it was moved from another place or tampered with");
    }
    j["value"] = to_string(*plain);
    secure_wipe(plain->data(), plain->size());
    return j;
}

json change_json(ExportContext& ctx, const Change& c, const std::string& case_id, bool waiting) {
    const bool erased = ctx.merge.effectively_erased(c.record) || ctx.merge.effectively_erased(case_id);
    json ops = json::array();
    for (const auto& op : c.ops) ops.push_back(op_json(ctx, c, op, case_id, erased));
    json j = {{"change", c.id()}, {"origin", c.origin}, {"record", c.record}, {"kind", c.kind},
              {"time", time_of(c.hlc)}, {"hlc", c.hlc},   {"fields", std::move(ops)}};
    // Held until the origin's earlier changes arrive: not applied, not shown yet.
    if (waiting) j["waiting"] = true;
    return j;
}

// Every change held for the case and its records, applied or waiting for a
// gap, in the order they were written.
json history_of(ExportContext& ctx, const std::string& case_id, const std::set<std::string>& records) {
    std::vector<std::pair<Change, bool>> changes;
    for (const auto& record : records) {
        sqlite::Statement st(ctx.db, "SELECT origin, seq FROM changes WHERE record = ?");
        st.bind(1, record);
        while (st.step()) {
            if (auto c = ctx.log.load(st.text(0), static_cast<std::uint64_t>(st.integer(1)))) changes.emplace_back(std::move(*c), false);
        }
    }
    std::set<std::string> held_records = records;
    ctx.log.for_each_pending([&](const Change& held) {
        const FieldOp* link = held.op(field_case_link);
        if (link && link->value && *link->value == json(case_id)) held_records.insert(held.record);
    });
    ctx.log.for_each_pending([&](const Change& held) {
        if (held_records.count(held.record)) changes.emplace_back(held, true);
    });
    std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first.hlc, a.first.origin, a.first.seq) < std::tie(b.first.hlc, b.first.origin, b.first.seq);
    });
    json out = json::array();
    for (const auto& [c, waiting] : changes) out.push_back(change_json(ctx, c, case_id, waiting));
    return out;
}

}  // namespace

json export_case(ExportContext& ctx, const std::string& case_id, const std::vector<std::string>& children) {
    json doc = {{"format", case_export_format},
                {"version", case_export_version},
                {"exported_at", utc_iso_millis(ctx.now_millis)},
                {"site", ctx.site},
                {"replica", ctx.replica}};
    if (ctx.merge.effectively_erased(case_id)) {
        // Erased: the ids and the erasure only. Not even the clear categories,
        // which describe the person too.
        doc["erased"] = true;
        doc["case"] = {{"id", case_id}, {"kind", "case"}, {"erased", true}, {"erasure", erasures_of(ctx.merge, case_id)}};
        json records = json::array();
        for (const auto& id : children) {
            const auto row = ctx.merge.record(id);
            records.push_back({{"id", id}, {"kind", row ? row->kind : ""}, {"erased", true}});
        }
        doc["records"] = std::move(records);
        doc["note"] = "This case was erased (GDPR Art. 17): its values and its key were destroyed. Only the ids and "
                      "the erasure remain in the signed log.";
        return doc;
    }
    doc["erased"] = false;
    doc["case"] = record_json(ctx, case_id);
    json records = json::array();
    for (const auto& id : children) records.push_back(record_json(ctx, id));
    doc["records"] = std::move(records);
    std::set<std::string> all(children.begin(), children.end());
    all.insert(case_id);
    doc["history"] = history_of(ctx, case_id, all);
    return doc;
}

}  // namespace kim::client
