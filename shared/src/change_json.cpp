// The change envelope to and from JSON, with a strict reader for untrusted input.
#include <algorithm>
#include <cstdint>
#include <set>

#include "kim/shared/base64.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim {

using nlohmann::json;

json change_to_json(const Change& c, bool with_ct) {
    json ops = json::array();
    for (const auto& op : c.ops) {
        json o = {{"field", op.field}, {"parents", op.parents}};
        if (op.value) o["value"] = *op.value;
        if (op.ct_hash) o["ct_hash"] = base64_encode(*op.ct_hash);
        if (with_ct && op.ct) o["ct"] = base64_encode(*op.ct);
        ops.push_back(std::move(o));
    }
    return {{"v", c.v},           {"origin", c.origin}, {"seq", c.seq},
            {"site", c.site},     {"record", c.record}, {"kind", c.kind},
            {"hlc", c.hlc},       {"ops", std::move(ops)}, {"prev", base64_encode(c.prev)},
            {"sig", base64_encode(c.sig)}};
}

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw InputError("malformed change (" + where + "): " + what);
}

void only_keys(const json& j, std::initializer_list<std::string_view> allowed, const std::string& where) {
    for (const auto& [key, _] : j.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) bad(where, "unknown key '" + key + "'");
    }
}

const json& member(const json& j, const char* key, const std::string& where) {
    const auto it = j.find(key);
    if (it == j.end()) bad(where, std::string("missing '") + key + "'");
    return *it;
}

std::string string_member(const json& j, const char* key, const std::string& where, std::size_t max_len) {
    const json& v = member(j, key, where);
    if (!v.is_string()) bad(where, std::string("'") + key + "' must be a string");
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > max_len) bad(where, std::string("'") + key + "' is too long");
    return s;
}

std::uint64_t uint_member(const json& j, const char* key, const std::string& where) {
    const json& v = member(j, key, where);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
        bad(where, std::string("'") + key + "' must be a non-negative integer");
    }
    return v.get<std::uint64_t>();
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_b64(const json& j, const char* key, const std::string& where) {
    const auto text = string_member(j, key, where, 4 * N);
    auto bytes = base64_decode_fixed<N>(text);
    if (!bytes) bad(where, std::string("'") + key + "' must be base64 of " + std::to_string(N) + " bytes");
    return *bytes;
}

FieldOp op_from_json(const json& j, const std::string& where) {
    if (!j.is_object()) bad(where, "an op must be an object");
    only_keys(j, {"field", "parents", "value", "ct", "ct_hash"}, where);
    FieldOp op;
    op.field = string_member(j, "field", where, 128);
    if (op.field.empty()) bad(where, "'field' is empty");
    const json& parents = member(j, "parents", where);
    if (!parents.is_array()) bad(where, "'parents' must be an array");
    if (parents.size() > max_parents_per_op) bad(where, "too many parents");
    for (const auto& p : parents) {
        if (!p.is_string() || !parse_change_id(p.get_ref<const std::string&>())) {
            bad(where, "'parents' must hold change ids \"origin:seq\"");
        }
        op.parents.push_back(p.get<std::string>());
    }
    if (!std::is_sorted(op.parents.begin(), op.parents.end()) ||
        std::adjacent_find(op.parents.begin(), op.parents.end()) != op.parents.end()) {
        bad(where, "'parents' must be sorted and free of duplicates");
    }
    const bool has_value = j.contains("value");
    const bool has_hash = j.contains("ct_hash");
    if (has_value == has_hash) bad(where, "an op carries either 'value' or 'ct_hash'");
    if (j.contains("ct") && !has_hash) bad(where, "'ct' without 'ct_hash'");
    if (has_value) {
        const json& v = j["value"];
        if (!(v.is_string() && v.get_ref<const std::string&>().size() <= 128) && !v.is_boolean()) {
            bad(where, "'value' must be a short string or a boolean");
        }
        op.value = v;
    } else {
        op.ct_hash = fixed_b64<32>(j, "ct_hash", where);
        if (j.contains("ct")) {
            const auto text = string_member(j, "ct", where, (max_ciphertext_bytes + 2) / 3 * 4);
            auto ct = base64_decode(text);
            if (!ct) bad(where, "'ct' must be base64");
            // The text bound above lets up to two bytes more through.
            if (ct->size() > max_ciphertext_bytes) bad(where, "'ct' is too long");
            if (ct->size() < crypto::aead_nonce_size + crypto::aead_tag_size) bad(where, "'ct' is too short");
            op.ct = std::move(*ct);
        }
    }
    return op;
}

}  // namespace

Change change_from_json(const json& j) {
    std::string where = "envelope";
    if (!j.is_object()) bad(where, "a change must be a JSON object");
    only_keys(j, {"v", "origin", "seq", "site", "record", "kind", "hlc", "ops", "prev", "sig"}, where);
    Change c;
    const auto v = uint_member(j, "v", where);
    if (v != change_format_version) {
        bad(where, "format version " + std::to_string(v) + " is not supported (this build reads version " +
                       std::to_string(change_format_version) + "); update kimsync");
    }
    c.origin = string_member(j, "origin", where, 63);
    if (!is_valid_name(c.origin)) bad(where, "'origin' is not a valid replica name");
    c.seq = uint_member(j, "seq", where);
    if (c.seq == 0) bad(where, "'seq' starts at 1");
    // Stores keep seq in signed 64-bit integers.
    if (c.seq > static_cast<std::uint64_t>(INT64_MAX)) bad(where, "'seq' is out of range");
    where = "change " + change_id(c.origin, c.seq);
    c.site = string_member(j, "site", where, 63);
    if (!is_valid_name(c.site)) bad(where, "'site' is not a valid site name");
    c.record = string_member(j, "record", where, 36);
    if (!is_uuid(c.record)) bad(where, "'record' must be a lowercase UUID");
    c.kind = string_member(j, "kind", where, 32);
    c.hlc = uint_member(j, "hlc", where);
    const json& ops = member(j, "ops", where);
    if (!ops.is_array() || ops.empty()) bad(where, "'ops' must be a non-empty array");
    if (ops.size() > max_ops_per_change) bad(where, "too many ops");
    for (std::size_t i = 0; i < ops.size(); ++i) {
        c.ops.push_back(op_from_json(ops[i], where + ", op " + std::to_string(i)));
    }
    for (std::size_t i = 1; i < c.ops.size(); ++i) {
        if (!(c.ops[i - 1].field < c.ops[i].field)) bad(where, "'ops' must be sorted by field, each field once");
    }
    // A change can only supersede what existed before it: never itself, nor a
    // later change of its own origin (that would hide writes not yet made).
    for (const auto& op : c.ops) {
        for (const auto& parent : op.parents) {
            const auto p = parse_change_id(parent);
            if (p && p->origin == c.origin && p->seq >= c.seq) {
                bad(where, "op '" + op.field + "' names " + parent + " as parent, which is not earlier than the change itself");
            }
        }
    }
    c.prev = fixed_b64<32>(j, "prev", where);
    c.sig = fixed_b64<crypto::signature_size>(j, "sig", where);
    return c;
}

}  // namespace kim
