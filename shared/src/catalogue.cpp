// Loading and enforcing the field catalogue of schema/catalogue.json.
#include "kim/shared/catalogue.hpp"

#include <algorithm>
#include <cstdint>

#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::embedded {
extern const std::string_view catalogue_json;
}

namespace kim {

using nlohmann::json;

namespace {

[[noreturn]] void bad_catalogue(const std::string& what) { throw InputError("field catalogue: " + what); }

// A text field's size bound: a whole number of bytes, at most the largest
// request body (a negative or fractional bound would silently mean none).
std::size_t text_max_bytes(const nlohmann::json& field, const std::string& where) {
    constexpr std::uint64_t default_bytes = 4096;
    constexpr std::uint64_t largest = 16 * 1024 * 1024;
    if (!field.contains("max_bytes")) return default_bytes;
    const nlohmann::json& bound = field["max_bytes"];
    if (!bound.is_number_unsigned() || bound.get<std::uint64_t>() < 1 || bound.get<std::uint64_t>() > largest) {
        bad_catalogue(where + ": max_bytes must be a whole number from 1 to " + std::to_string(largest));
    }
    return static_cast<std::size_t>(bound.get<std::uint64_t>());
}

FieldType type_from_name(const std::string& t, const std::string& where) {
    if (t == "text") return FieldType::text;
    if (t == "date") return FieldType::date;
    if (t == "enum") return FieldType::enumeration;
    if (t == "quarter") return FieldType::quarter;
    bad_catalogue(where + ": unknown type '" + t + "'");
}

std::vector<std::string> string_list(const json& j, const std::string& where) {
    if (!j.is_array() || j.empty()) bad_catalogue(where + ": expected a non-empty list of strings");
    std::vector<std::string> out;
    for (const auto& v : j) {
        if (!v.is_string() || v.get_ref<const std::string&>().empty()) bad_catalogue(where + ": values must be strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += sep;
        out += i;
    }
    return out;
}

bool is_field_name(std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    return std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }) &&
           n.front() != '_';
}

}  // namespace

bool is_quarter(std::string_view t) {
    return t.size() == 7 && std::all_of(t.begin(), t.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
           t[4] == '-' && t[5] == 'Q' && t[6] >= '1' && t[6] <= '4' && t[0] != '0';
}

bool is_iso_date(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (t[i] < '0' || t[i] > '9') return false;
    }
    const int y = std::stoi(std::string(t.substr(0, 4)));
    const int m = std::stoi(std::string(t.substr(5, 2)));
    const int d = std::stoi(std::string(t.substr(8, 2)));
    if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + ((m == 2 && leap) ? 1 : 0);
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
            return false;
        }
        i += len;
    }
    return true;
}

const Catalogue& Catalogue::builtin() {
    static const Catalogue instance = parse(json::parse(embedded::catalogue_json));
    return instance;
}

Catalogue Catalogue::parse(const json& doc) {
    Catalogue cat;
    try {
        if (!doc.is_object()) bad_catalogue("the document must be an object");
        // Whole numbers only: a float such as 1e300 would be an out-of-range conversion.
        const json& version = doc.at("catalogue_version");
        if (!version.is_number_unsigned() || version.get<std::uint64_t>() > 1'000'000) {
            bad_catalogue("catalogue_version must be a whole number from 0 to 1000000");
        }
        cat.version_ = version.get<int>();
        std::map<std::string, std::vector<std::string>> lists;
        if (doc.contains("value_lists")) {
            for (const auto& [name, values] : doc["value_lists"].items()) lists[name] = string_list(values, "value list " + name);
        }
        auto list_named = [&](const std::string& name, const std::string& where) {
            const auto it = lists.find(name);
            if (it == lists.end()) bad_catalogue(where + ": unknown value list '" + name + "'");
            return it->second;
        };
        for (const auto& k : doc.at("kinds")) {
            KindSpec kind;
            kind.name = k.at("kind").get<std::string>();
            if (!is_field_name(kind.name)) bad_catalogue("bad kind name '" + kind.name + "'");
            if (cat.kind(kind.name)) bad_catalogue("kind '" + kind.name + "' appears twice");
            kind.label = k.value("label", kind.name);
            kind.belongs_to_case = k.value("belongs_to_case", false);
            kind.append_only = k.value("append_only", false);
            for (const auto& f : k.at("fields")) {
                FieldSpec spec;
                const auto name = f.at("name").get<std::string>();
                const std::string where = kind.name + "." + name;
                spec.label = f.value("label", name);
                spec.type = type_from_name(f.at("type").get<std::string>(), where);
                spec.confidential = f.at("confidential").get<bool>();
                const bool clear_type = spec.type == FieldType::enumeration || spec.type == FieldType::quarter;
                if (spec.confidential == clear_type) {
                    bad_catalogue(where + ": text and dates must be confidential, enums and quarters statistical");
                }
                if (spec.type == FieldType::text) spec.max_bytes = text_max_bytes(f, where);
                if (spec.type == FieldType::enumeration) {
                    spec.values = f.contains("values_from") ? list_named(f["values_from"].get<std::string>(), where)
                                                            : string_list(f.at("values"), where);
                }
                std::vector<std::string> names;
                if (name.size() > 2 && name.ends_with(".*")) {
                    // A set or map is one field per member (DESIGN.md, "Merge").
                    const auto stem = name.substr(0, name.size() - 1);
                    for (const auto& m : list_named(f.at("members").get<std::string>(), where)) names.push_back(stem + m);
                } else {
                    names.push_back(name);
                }
                for (const auto& n : names) {
                    if (!is_field_name(n) || n == field_case_link) bad_catalogue(kind.name + ": bad field name '" + n + "'");
                    if (std::any_of(kind.fields.begin(), kind.fields.end(), [&](const FieldSpec& s) { return s.name == n; })) {
                        bad_catalogue(kind.name + ": field '" + n + "' appears twice");
                    }
                    spec.name = n;
                    kind.fields.push_back(spec);
                }
            }
            cat.kinds_.push_back(std::move(kind));
        }
    } catch (const json::exception& e) {
        bad_catalogue(e.what());
    }
    if (!cat.kind("case")) bad_catalogue("the kind 'case' is required");
    cat.reserved_[std::string(field_case_link)] = {std::string(field_case_link), "Fall", FieldType::record_ref, false, {}, 0};
    cat.reserved_[std::string(field_case_key)] = {std::string(field_case_key), "Fallschlüssel", FieldType::key, true, {}, 0};
    cat.reserved_[std::string(field_erased)] = {std::string(field_erased), "Gelöscht", FieldType::flag, false, {}, 0};
    return cat;
}

const KindSpec* Catalogue::kind(std::string_view name) const {
    for (const auto& k : kinds_) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

const FieldSpec* Catalogue::field(std::string_view kind_name, std::string_view field_name) const {
    const KindSpec* k = kind(kind_name);
    if (!k) return nullptr;
    for (const auto& f : k->fields) {
        if (f.name == field_name) return &f;
    }
    if (field_name == field_erased) return &reserved_.find(field_erased)->second;
    if (field_name == field_case_key && k->name == "case") return &reserved_.find(field_case_key)->second;
    if (field_name == field_case_link && k->belongs_to_case) return &reserved_.find(field_case_link)->second;
    return nullptr;
}

std::vector<std::string> Catalogue::writable_fields(std::string_view kind_name) const {
    std::vector<std::string> out;
    if (const KindSpec* k = kind(kind_name)) {
        for (const auto& f : k->fields) out.push_back(f.name);
    }
    return out;
}

const FieldSpec& Catalogue::require_field(std::string_view kind_name, std::string_view field_name) const {
    const KindSpec* k = kind(kind_name);
    if (!k) {
        std::vector<std::string> names;
        for (const auto& kk : kinds_) names.push_back(kk.name);
        throw InputError("unknown record kind '" + std::string(kind_name) + "'; the kinds are: " + join(names));
    }
    if (const FieldSpec* f = field(kind_name, field_name)) return *f;
    throw InputError("unknown field '" + std::string(field_name) + "' for a " + std::string(kind_name) +
                     "; the fields are: " + join(writable_fields(kind_name)));
}

void Catalogue::check_statistical_value(std::string_view kind_name, const FieldSpec& spec, const json& value) const {
    const std::string where = std::string(kind_name) + " field '" + spec.name + "'";
    switch (spec.type) {
    case FieldType::flag:
        if (value != json(true)) throw InputError(where + " only takes the value true");
        return;
    case FieldType::record_ref:
        if (!value.is_string() || !is_uuid(value.get_ref<const std::string&>())) {
            throw InputError(where + " must be a case id (a lowercase UUID)");
        }
        return;
    case FieldType::quarter:
        if (!value.is_string() || !is_quarter(value.get_ref<const std::string&>())) {
            throw InputError(where + " must be a quarter like 2026-Q3");
        }
        return;
    case FieldType::enumeration:
        if (!value.is_string() || std::find(spec.values.begin(), spec.values.end(), value.get_ref<const std::string&>()) == spec.values.end()) {
            // The value itself is not repeated: it may be personal data typed into the wrong field.
            throw InputError(where + ": the value given is not allowed; allowed values: " + join(spec.values));
        }
        return;
    default:
        throw InputError(where + " is confidential and cannot carry a clear value");
    }
}

void Catalogue::check_confidential_text(std::string_view kind_name, const FieldSpec& spec, std::string_view text) const {
    const std::string where = std::string(kind_name) + " field '" + spec.name + "'";
    if (!spec.confidential || spec.type == FieldType::key) throw InputError(where + " is not a confidential text field");
    if (!is_valid_utf8(text)) throw InputError(where + ": the text is not valid UTF-8");
    if (spec.type == FieldType::date && !is_iso_date(text)) {
        throw InputError(where + " must be a real date from 1900 on, written YYYY-MM-DD (e.g. 1990-04-17)");
    }
    if (spec.type == FieldType::text && text.size() > spec.max_bytes) {
        throw InputError(where + " is longer than " + std::to_string(spec.max_bytes) + " bytes");
    }
}

}  // namespace kim
