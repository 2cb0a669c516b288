// Decryption of heads and assembly of record views.
#include "record_reader.hpp"

#include "kim/shared/errors.hpp"

namespace kim::client {

namespace {

// Verifies a stored ciphertext against the hash its change signed; a
// mismatch means the file was damaged or tampered with.
Bytes checked_ciphertext(ChangeLog& log, const Head& head, std::string_view record, std::string_view field,
                         bool& present) {
    auto ct = log.ciphertext(head.origin, head.seq, field);
    present = ct.has_value();
    if (!ct) return {};
    if (!head.ct_hash || !crypto::constant_time_equal(crypto::blake2b256(*ct), *head.ct_hash)) {
        throw IntegrityError("the stored ciphertext of field '" + std::string(field) + "' of record " + std::string(record) +
                             " (change " + head.change_id +
                             ") does not match its signed hash: the replica file was damaged or tampered with. "
                             "Restore it from a backup or from another replica of the site");
    }
    return std::move(*ct);
}

}  // namespace

std::optional<Key32> RecordReader::case_key(std::string_view case_id) {
    if (auto it = cache_.find(case_id); it != cache_.end()) return it->second;
    const auto heads = merge_.heads(case_id, field_case_key);
    if (heads.empty()) return std::nullopt;
    const Head& head = heads.front();
    bool present = false;
    const Bytes ct = checked_ciphertext(log_, head, case_id, field_case_key, present);
    if (!present) return std::nullopt;
    auto raw = crypto::aead_decrypt(site_key_, ct,
                                    field_associated_data(head.origin, head.seq, case_id, field_case_key));
    Key32 key;
    if (!raw || raw->size() != key.size()) {
        throw IntegrityError("the key of case " + std::string(case_id) + " (change " + head.change_id +
                             ") does not open with this site's key: it was written for another site or tampered with");
    }
    std::copy(raw->begin(), raw->end(), key.data());
    secure_wipe(raw->data(), raw->size());
    cache_.emplace(std::string(case_id), key);
    return key;
}

HeadValue RecordReader::decode(std::string_view record, const RecordRow& row, const FieldSpec& spec, const Head& head) {
    HeadValue out;
    out.change = head.change_id;
    out.hlc = head.hlc;
    if (!spec.confidential) {
        const auto v = nlohmann::json::parse(head.value.value_or("null"));
        out.value = v.is_string() ? v.get<std::string>() : v.dump();
        return out;
    }
    bool present = false;
    const Bytes ct = checked_ciphertext(log_, head, record, spec.name, present);
    if (!present) {
        // Erased records are never decoded, so a missing ciphertext here means
        // the change arrived in a copy without it.
        out.readable = false;
        out.unreadable_reason = "ciphertext not received yet: import a complete change file from replica " + head.origin;
        return out;
    }
    const std::string case_id = row.kind == "case" ? std::string(record) : row.case_id;
    const auto key = case_id.empty() ? std::nullopt : case_key(case_id);
    if (!key) {
        out.readable = false;
        out.unreadable_reason = "the case key has not arrived yet; import the case's changes";
        return out;
    }
    auto plain = crypto::aead_decrypt(*key, ct, field_associated_data(head.origin, head.seq, record, spec.name));
    if (!plain) {
        throw IntegrityError("the ciphertext of field '" + spec.name + "' of record " + std::string(record) + " (change " +
                             head.change_id + ") does not decrypt: it was moved from another place or tampered with");
    }
    out.value = to_string(*plain);
    secure_wipe(plain->data(), plain->size());
    return out;
}

RecordView RecordReader::read(std::string_view record) {
    const auto row = merge_.record(record);
    if (!row) throw NotFoundError("no record " + std::string(record) + " in this replica; `kim case list` shows the cases");
    RecordView view;
    view.id = std::string(record);
    view.kind = row->kind;
    view.case_id = row->case_id;
    view.erased = merge_.effectively_erased(record);
    if (view.erased) return view;
    const KindSpec* kind = catalogue_.kind(row->kind);
    if (!kind) return view;
    const auto all_heads = merge_.heads_by_field(record);
    for (const auto& spec : kind->fields) {
        const auto found = all_heads.find(spec.name);
        if (found == all_heads.end()) continue;
        const auto& heads = found->second;
        FieldView f;
        f.name = spec.name;
        f.confidential = spec.confidential;
        f.shown = decode(record, *row, spec, heads.front());
        for (std::size_t i = 1; i < heads.size(); ++i) f.conflicting.push_back(decode(record, *row, spec, heads[i]));
        view.fields.push_back(std::move(f));
    }
    return view;
}

}  // namespace kim::client
