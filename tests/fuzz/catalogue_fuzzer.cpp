// kim_fuzz_catalogue: the field catalogue (shared/src/catalogue.cpp) from a
// JSON document, and the checks of field values against it.
//
// The input is a catalogue document as text. When Catalogue::parse accepts
// it, the catalogue must keep its own promises: every value it lists is
// accepted for its field, a text of max_bytes passes and one byte more does
// not, the reserved fields are where they belong. Whether it parses or not,
// every string and value in the document is then checked against each
// field of the parsed catalogue (or the built-in one), as values typed by a
// person would be. Refusals are InputErrors; anything else escaping is a
// crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace {

using nlohmann::json;
using namespace kim;

[[noreturn]] void fail(const std::string& kind, const std::string& field, const std::string& what) {
    std::fprintf(stderr, "kim_fuzz_catalogue: %s.%s: %s\n", kind.c_str(), field.c_str(), what.c_str());
    std::abort();
}

bool accepted_value(const Catalogue& cat, const KindSpec& kind, const FieldSpec& spec, const json& value) {
    try {
        cat.check_statistical_value(kind.name, spec, value);
        return true;
    } catch (const InputError&) {
        return false;
    }
}

bool accepted_text(const Catalogue& cat, const KindSpec& kind, const FieldSpec& spec, std::string_view text) {
    try {
        cat.check_confidential_text(kind.name, spec, text);
        return true;
    } catch (const InputError&) {
        return false;
    }
}

// What a parsed catalogue promises about itself.
void check_promises(const Catalogue& cat) {
    if (!cat.kind("case")) fail("case", "-", "a parsed catalogue lacks the kind 'case'");
    for (const auto& kind : cat.kinds()) {
        if (cat.kind(kind.name) != &kind) fail(kind.name, "-", "the kind is not found by its name");
        const auto writable = cat.writable_fields(kind.name);
        if (writable.size() != kind.fields.size()) fail(kind.name, "-", "writable_fields differs from the fields");
        for (const auto& spec : kind.fields) {
            const FieldSpec* found = cat.field(kind.name, spec.name);
            if (!found || found->name != spec.name) fail(kind.name, spec.name, "the field is not found by its name");
            static_cast<void>(cat.require_field(kind.name, spec.name));
            switch (spec.type) {
                case FieldType::enumeration:
                    for (const auto& v : spec.values) {
                        if (!accepted_value(cat, kind, spec, v)) fail(kind.name, spec.name, "a listed value is refused");
                    }
                    if (accepted_value(cat, kind, spec, json(42))) fail(kind.name, spec.name, "a number is accepted");
                    break;
                case FieldType::quarter:
                    if (!accepted_value(cat, kind, spec, "2026-Q3")) fail(kind.name, spec.name, "2026-Q3 is refused");
                    if (accepted_value(cat, kind, spec, "2026-Q5")) fail(kind.name, spec.name, "2026-Q5 is accepted");
                    break;
                case FieldType::date:
                    if (!accepted_text(cat, kind, spec, "1990-04-17")) fail(kind.name, spec.name, "1990-04-17 is refused");
                    if (accepted_text(cat, kind, spec, "1990-02-30")) fail(kind.name, spec.name, "1990-02-30 is accepted");
                    break;
                case FieldType::text:
                    // Only where the bound is small enough to build the texts.
                    if (spec.max_bytes <= 64 * 1024) {
                        if (!accepted_text(cat, kind, spec, std::string(spec.max_bytes, 'a'))) {
                            fail(kind.name, spec.name, "a text of max_bytes is refused");
                        }
                        if (accepted_text(cat, kind, spec, std::string(spec.max_bytes + 1, 'a'))) {
                            fail(kind.name, spec.name, "a text longer than max_bytes is accepted");
                        }
                    }
                    if (accepted_text(cat, kind, spec, "\xff")) fail(kind.name, spec.name, "invalid UTF-8 is accepted");
                    if (accepted_value(cat, kind, spec, "x")) fail(kind.name, spec.name, "a clear value is accepted");
                    break;
                default:
                    fail(kind.name, spec.name, "a field of a reserved type is in the catalogue");
            }
        }
        // The reserved fields: `_erased` everywhere, `_key` for cases, `case` for their records.
        const FieldSpec* erased = cat.field(kind.name, field_erased);
        if (!erased || erased->type != FieldType::flag) fail(kind.name, "_erased", "missing");
        if ((cat.field(kind.name, field_case_key) != nullptr) != (kind.name == "case")) {
            fail(kind.name, "_key", "present where it must not be, or missing");
        }
        if ((cat.field(kind.name, field_case_link) != nullptr) != kind.belongs_to_case) {
            fail(kind.name, "case", "present where it must not be, or missing");
        }
    }
}

// The document's leaves, bounded: they are the values tried against the fields.
void leaves(const json& j, std::vector<const json*>& out, int depth = 0) {
    if (out.size() >= 48 || depth > 8) return;
    if (j.is_object() || j.is_array()) {
        for (const auto& item : j) leaves(item, out, depth + 1);
    } else {
        out.push_back(&j);
    }
}

void check_values(const Catalogue& cat, const std::vector<const json*>& values) {
    std::size_t budget = 4000;  // checks per input: enough for the built-in catalogue and a few dozen values
    for (const json* value : values) {
        if (value->is_string()) {
            const auto& s = value->get_ref<const std::string&>();
            // nlohmann accepts only valid UTF-8 in strings; the two must agree.
            if (!is_valid_utf8(s)) fail("-", "-", "a string nlohmann parsed is not valid UTF-8 to kim");
            static_cast<void>(is_quarter(s));
            static_cast<void>(is_iso_date(s));
        }
        for (const auto& kind : cat.kinds()) {
            for (const auto& spec : kind.fields) {
                if (budget-- == 0) return;
                if (spec.confidential) {
                    if (value->is_string()) static_cast<void>(accepted_text(cat, kind, spec, value->get_ref<const std::string&>()));
                } else {
                    const bool ok = accepted_value(cat, kind, spec, *value);
                    if (ok && spec.type == FieldType::enumeration &&
                        std::find(spec.values.begin(), spec.values.end(), value->get<std::string>()) == spec.values.end()) {
                        fail(kind.name, spec.name, "a value outside the list is accepted");
                    }
                }
            }
            for (const auto reserved : {field_erased, field_case_link, field_case_key}) {
                if (const FieldSpec* spec = cat.field(kind.name, reserved); spec && !spec->confidential) {
                    static_cast<void>(accepted_value(cat, kind, *spec, *value));
                }
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    check_promises(Catalogue::builtin());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    static_cast<void>(is_valid_utf8(text));
    json doc;
    try {
        doc = parse_untrusted_json(text, "the fuzz input");
    } catch (const InputError&) {
        return 0;
    }
    std::vector<const json*> values;
    leaves(doc, values);
    std::optional<Catalogue> cat;
    try {
        cat = Catalogue::parse(doc);
    } catch (const InputError&) {
        check_values(Catalogue::builtin(), values);
        return 0;
    }
    check_promises(*cat);
    check_values(*cat, values);
    return 0;
}
