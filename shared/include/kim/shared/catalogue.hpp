// The field catalogue (schema/catalogue.json): every record kind and field,
// whether it is confidential or statistical, and the values allowed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kim {

enum class FieldType {
    text,     // free UTF-8 text (confidential only)
    date,     // YYYY-MM-DD (confidential only)
    enumeration,  // one of `values` (statistical)
    quarter,  // YYYY-Qn (statistical)
    record_ref,   // a record UUID (statistical: the `case` link)
    flag,     // JSON true (the `_erased` marker)
    key,      // a wrapped case key (`_key`)
};

struct FieldSpec {
    std::string name;
    std::string label;  // German, for people
    FieldType type = FieldType::text;
    bool confidential = false;
    std::vector<std::string> values;  // enumeration only
    std::size_t max_bytes = 0;        // text only
};

struct KindSpec {
    std::string name;
    std::string label;
    bool belongs_to_case = false;  // has the clear `case` field
    bool append_only = false;      // written once, never edited (the case journal)
    std::vector<FieldSpec> fields; // in catalogue order, `need.*` expanded
};

// Reserved field names present in every kind, or in cases.
inline constexpr std::string_view field_case_link = "case";
inline constexpr std::string_view field_case_key = "_key";
inline constexpr std::string_view field_erased = "_erased";

class Catalogue {
public:
    // The catalogue compiled into this build from schema/catalogue.json.
    static const Catalogue& builtin();
    // Parses a catalogue document; throws InputError naming the problem.
    static Catalogue parse(const nlohmann::json& doc);

    int version() const { return version_; }
    const std::vector<KindSpec>& kinds() const { return kinds_; }
    const KindSpec* kind(std::string_view name) const;
    // Includes the reserved fields (`case`, `_key`, `_erased`) where they apply.
    const FieldSpec* field(std::string_view kind, std::string_view field) const;
    // Names of the fields a person may write for this kind (no reserved ones).
    std::vector<std::string> writable_fields(std::string_view kind) const;

    // Throws InputError with a message listing what is allowed.
    const FieldSpec& require_field(std::string_view kind, std::string_view field) const;
    // Checks a clear value of a statistical field; throws InputError.
    void check_statistical_value(std::string_view kind, const FieldSpec& spec, const nlohmann::json& value) const;
    // Checks a plaintext entered for a confidential field; throws InputError.
    void check_confidential_text(std::string_view kind, const FieldSpec& spec, std::string_view text) const;

private:
    int version_ = 0;
    std::vector<KindSpec> kinds_;
    std::map<std::string, FieldSpec, std::less<>> reserved_;
};

bool is_quarter(std::string_view text);
bool is_iso_date(std::string_view text);
bool is_valid_utf8(std::string_view text);

}  // namespace kim
