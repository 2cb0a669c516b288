// The envelope's JSON text written straight from a Change (change.hpp): the
// bytes of change_to_json(c, with_ct).dump() without the JSON tree, whose
// small allocations were a large part of every change pushed, pulled,
// stored and hashed (docs/performance.md). tests/shared/change_text_test.cpp
// holds the two to the same bytes.
#include <algorithm>
#include <string>
#include <string_view>

#include "kim/shared/base64.hpp"
#include "kim/shared/change.hpp"

namespace kim {

namespace {

// nlohmann's dump writes printable ASCII other than '"' and '\' as it is;
// anything else goes through nlohmann itself, so that its escapes and its
// refusal of invalid UTF-8 stay exactly as they are.
void put_string(std::string& out, std::string_view s) {
    const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
        const auto u = static_cast<unsigned char>(ch);
        return u >= 0x20 && u < 0x7f && ch != '"' && ch != '\\';
    });
    if (!plain) {
        out += nlohmann::json(std::string(s)).dump();
        return;
    }
    out += '"';
    out += s;
    out += '"';
}

void put_base64(std::string& out, std::span<const std::uint8_t> bytes) {
    out += '"';
    base64_append(out, bytes);
    out += '"';
}

void put_value(std::string& out, const nlohmann::json& value) {
    if (value.is_string()) {
        put_string(out, value.get_ref<const std::string&>());
    } else if (value.is_boolean()) {
        out += value.get<bool>() ? "true" : "false";
    } else {
        out += value.dump();
    }
}

// The keys in the order nlohmann writes them: sorted bytewise.
void put_op(std::string& out, const FieldOp& op, bool with_ct) {
    out += '{';
    if (with_ct && op.ct) {
        out += "\"ct\":";
        put_base64(out, *op.ct);
        out += ',';
    }
    if (op.ct_hash) {
        out += "\"ct_hash\":";
        put_base64(out, *op.ct_hash);
        out += ',';
    }
    out += "\"field\":";
    put_string(out, op.field);
    out += ",\"parents\":[";
    for (std::size_t i = 0; i < op.parents.size(); ++i) {
        if (i) out += ',';
        put_string(out, op.parents[i]);
    }
    out += ']';
    if (op.value) {
        out += ",\"value\":";
        put_value(out, *op.value);
    }
    out += '}';
}

std::string write_envelope(const Change& c, bool with_ct, bool with_sig) {
    std::string out;
    std::size_t size = 256;
    for (const auto& op : c.ops) size += 160 + op.parents.size() * 32 + (with_ct && op.ct ? op.ct->size() * 4 / 3 + 16 : 0);
    out.reserve(size);
    out += "{\"hlc\":";
    out += std::to_string(c.hlc);
    out += ",\"kind\":";
    put_string(out, c.kind);
    out += ",\"ops\":[";
    for (std::size_t i = 0; i < c.ops.size(); ++i) {
        if (i) out += ',';
        put_op(out, c.ops[i], with_ct);
    }
    out += "],\"origin\":";
    put_string(out, c.origin);
    out += ",\"prev\":";
    put_base64(out, c.prev);
    out += ",\"record\":";
    put_string(out, c.record);
    out += ",\"seq\":";
    out += std::to_string(c.seq);
    if (with_sig) {
        out += ",\"sig\":";
        put_base64(out, c.sig);
    }
    out += ",\"site\":";
    put_string(out, c.site);
    out += ",\"v\":";
    out += std::to_string(c.v);
    out += '}';
    return out;
}

}  // namespace

std::string envelope_text(const Change& c, bool with_ct) { return write_envelope(c, with_ct, /*with_sig=*/true); }

std::string canonical_bytes(const Change& c) { return write_envelope(c, /*with_ct=*/false, /*with_sig=*/false); }

}  // namespace kim
