// The field catalogue (schema/catalogue.json) and the catalogue rules of a change.
#include "kim/shared/catalogue.hpp"

#include <gtest/gtest.h>

#include "error_message.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "kim/shared/change.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "temp_dir.hpp"

namespace {

using kim::Catalogue;
using kim::FieldSpec;
using kim::FieldType;
using kim::InputError;
using nlohmann::json;

const Catalogue& cat() { return Catalogue::builtin(); }

using kim::test::input_error_of;

#define EXPECT_INPUT_ERROR_HAS(stmt, text)                                  \
    do {                                                                    \
        const std::string msg_ = input_error_of([&] { stmt; });             \
        EXPECT_NE(msg_.find(text), std::string::npos) << "message: " << msg_; \
        EXPECT_EQ(msg_.find("NO EXCEPTION"), std::string::npos);            \
        EXPECT_EQ(msg_.find("WRONG EXCEPTION TYPE"), std::string::npos) << msg_; \
    } while (0)

const std::vector<std::string> need_members = {"aufenthalt", "sgb2",   "sgb3",       "sgb8",
                                               "sgb12",      "schule", "kita",       "arbeit",
                                               "wohnen",     "gesundheit", "deutsch", "einbuergerung"};

// ---------------------------------------------------------------- builtin ---

TEST(catalogue, builtin_loads) {
    EXPECT_EQ(cat().version(), 1);
    EXPECT_FALSE(cat().kinds().empty());
    EXPECT_EQ(&Catalogue::builtin(), &cat());  // one instance
}

TEST(catalogue, builtin_matches_the_file_in_schema) {
    const auto text = kim::test::read_file(std::string(KIM_SOURCE_DIR) + "/schema/catalogue.json");
    ASSERT_FALSE(text.empty());
    const Catalogue from_file = Catalogue::parse(json::parse(text));
    ASSERT_EQ(from_file.kinds().size(), cat().kinds().size());
    for (std::size_t i = 0; i < cat().kinds().size(); ++i) {
        EXPECT_EQ(from_file.kinds()[i].name, cat().kinds()[i].name);
        EXPECT_EQ(from_file.writable_fields(cat().kinds()[i].name), cat().writable_fields(cat().kinds()[i].name));
    }
}

TEST(catalogue, every_kind_of_the_design_exists) {
    for (const char* k : {"case", "consent", "goal", "referral", "contact"}) {
        ASSERT_NE(cat().kind(k), nullptr) << k;
        EXPECT_EQ(cat().kind(k)->name, k);
    }
    EXPECT_EQ(cat().kinds().size(), 5u);
    EXPECT_EQ(cat().kind("person"), nullptr);
    EXPECT_EQ(cat().kind("Case"), nullptr);
}

TEST(catalogue, kinds_other_than_case_belong_to_a_case) {
    EXPECT_FALSE(cat().kind("case")->belongs_to_case);
    for (const char* k : {"consent", "goal", "referral", "contact"}) EXPECT_TRUE(cat().kind(k)->belongs_to_case) << k;
}

TEST(catalogue, only_contacts_are_append_only) {
    for (const auto& k : cat().kinds()) EXPECT_EQ(k.append_only, k.name == "contact") << k.name;
}

TEST(catalogue, case_has_the_fields_of_the_design) {
    for (const char* f : {"name", "birth_date", "address", "phone", "languages", "nationality", "residence_status",
                          "residence_valid_until", "household_members", "assessment"}) {
        const FieldSpec* spec = cat().field("case", f);
        ASSERT_NE(spec, nullptr) << f;
        EXPECT_TRUE(spec->confidential) << f;
    }
    for (const char* f : {"phase", "opened_quarter", "closed_quarter", "closure_reason", "age_band", "sex",
                          "origin_region", "residence_category", "household_band"}) {
        const FieldSpec* spec = cat().field("case", f);
        ASSERT_NE(spec, nullptr) << f;
        EXPECT_FALSE(spec->confidential) << f;
    }
    EXPECT_EQ(cat().field("case", "birth_date")->type, FieldType::date);
    EXPECT_EQ(cat().field("case", "opened_quarter")->type, FieldType::quarter);
    const auto& phases = cat().field("case", "phase")->values;
    EXPECT_EQ(phases, (std::vector<std::string>{"intake", "assessment", "planning", "linking", "monitoring",
                                                "evaluation", "closed"}));
}

TEST(catalogue, other_kinds_have_the_fields_of_the_design) {
    struct Expect {
        const char* kind;
        std::vector<const char*> confidential;
        std::vector<const char*> statistical;
    };
    const std::vector<Expect> table = {
        {"consent", {"recipients", "purposes", "form_version", "language"}, {"scope", "given_quarter", "withdrawn"}},
        {"goal", {"text", "due_date"}, {"field", "status"}},
        {"referral", {"agency", "details"}, {"target_type", "outcome", "barrier"}},
        {"contact", {"text", "date", "place"}, {"mode", "interpreter", "minutes_band"}},
    };
    for (const auto& e : table) {
        for (const char* f : e.confidential) {
            const FieldSpec* spec = cat().field(e.kind, f);
            ASSERT_NE(spec, nullptr) << e.kind << "." << f;
            EXPECT_TRUE(spec->confidential) << e.kind << "." << f;
        }
        for (const char* f : e.statistical) {
            const FieldSpec* spec = cat().field(e.kind, f);
            ASSERT_NE(spec, nullptr) << e.kind << "." << f;
            EXPECT_FALSE(spec->confidential) << e.kind << "." << f;
        }
    }
    EXPECT_EQ(cat().field("consent", "scope")->values,
              (std::vector<std::string>{"processing", "share", "statistics"}));
    EXPECT_EQ(cat().field("goal", "field")->values, need_members);
}

TEST(catalogue, need_star_is_expanded_to_twelve_fields) {
    std::vector<std::string> needs;
    for (const auto& f : cat().kind("case")->fields) {
        if (f.name.starts_with("need.")) needs.push_back(f.name);
    }
    std::vector<std::string> expected;
    for (const auto& m : need_members) expected.push_back("need." + m);
    EXPECT_EQ(needs, expected);
    EXPECT_EQ(needs.front(), "need.aufenthalt");
    EXPECT_EQ(needs.back(), "need.einbuergerung");
    for (const auto& n : needs) {
        const FieldSpec* spec = cat().field("case", n);
        ASSERT_NE(spec, nullptr) << n;
        EXPECT_EQ(spec->type, FieldType::enumeration);
        EXPECT_FALSE(spec->confidential);
        EXPECT_EQ(spec->values, (std::vector<std::string>{"0", "1", "2", "3"})) << n;
    }
    EXPECT_EQ(cat().field("case", "need.*"), nullptr);
    EXPECT_EQ(cat().field("case", "need.unknown"), nullptr);
}

TEST(catalogue, text_and_dates_confidential_enums_and_quarters_statistical) {
    int checked = 0;
    for (const auto& k : cat().kinds()) {
        for (const auto& f : k.fields) {
            ++checked;
            switch (f.type) {
            case FieldType::text:
                EXPECT_TRUE(f.confidential) << k.name << "." << f.name;
                EXPECT_GT(f.max_bytes, 0u) << k.name << "." << f.name;
                break;
            case FieldType::date:
                EXPECT_TRUE(f.confidential) << k.name << "." << f.name;
                break;
            case FieldType::enumeration:
                EXPECT_FALSE(f.confidential) << k.name << "." << f.name;
                EXPECT_FALSE(f.values.empty()) << k.name << "." << f.name;
                break;
            case FieldType::quarter:
                EXPECT_FALSE(f.confidential) << k.name << "." << f.name;
                break;
            default:
                ADD_FAILURE() << "reserved type in the writable fields: " << k.name << "." << f.name;
            }
        }
    }
    EXPECT_GT(checked, 40);
}

TEST(catalogue, no_statistical_field_is_named_like_a_personal_field) {
    const std::vector<std::string> personal = {"name",    "birth",   "address", "phone", "mail",    "street",
                                               "date",    "text",    "note",    "comment", "details", "place",
                                               "agency",  "recipient", "surname", "first_name", "dob", "nationality"};
    for (const auto& k : cat().kinds()) {
        for (const auto& f : k.fields) {
            if (f.confidential) continue;
            for (const auto& p : personal) {
                EXPECT_EQ(f.name.find(p), std::string::npos)
                    << "statistical field " << k.name << "." << f.name << " looks personal ('" << p << "')";
            }
            // No free text in the clear: every statistical enum value is a short token.
            for (const auto& v : f.values) {
                EXPECT_LE(v.size(), 32u) << k.name << "." << f.name;
                EXPECT_EQ(v.find(' '), std::string::npos) << k.name << "." << f.name << ": '" << v << "'";
            }
        }
    }
}

TEST(catalogue, erased_is_reserved_on_every_kind) {
    for (const auto& k : cat().kinds()) {
        const FieldSpec* spec = cat().field(k.name, kim::field_erased);
        ASSERT_NE(spec, nullptr) << k.name;
        EXPECT_EQ(spec->type, FieldType::flag);
        EXPECT_FALSE(spec->confidential);
        // Reserved, so not offered to people.
        const auto writable = cat().writable_fields(k.name);
        EXPECT_EQ(std::find(writable.begin(), writable.end(), "_erased"), writable.end());
    }
}

TEST(catalogue, key_is_reserved_on_case_only) {
    const FieldSpec* spec = cat().field("case", kim::field_case_key);
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->type, FieldType::key);
    EXPECT_TRUE(spec->confidential);
    for (const char* k : {"consent", "goal", "referral", "contact"}) {
        EXPECT_EQ(cat().field(k, kim::field_case_key), nullptr) << k;
    }
}

TEST(catalogue, case_link_only_on_kinds_that_belong_to_a_case) {
    EXPECT_EQ(cat().field("case", kim::field_case_link), nullptr);
    for (const char* k : {"consent", "goal", "referral", "contact"}) {
        const FieldSpec* spec = cat().field(k, kim::field_case_link);
        ASSERT_NE(spec, nullptr) << k;
        EXPECT_EQ(spec->type, FieldType::record_ref);
        EXPECT_FALSE(spec->confidential);
    }
}

TEST(catalogue, field_of_unknown_kind_is_null) {
    EXPECT_EQ(cat().field("person", "name"), nullptr);
    EXPECT_EQ(cat().field("person", "_erased"), nullptr);
}

TEST(catalogue, writable_fields_follow_catalogue_order) {
    const auto fields = cat().writable_fields("goal");
    EXPECT_EQ(fields, (std::vector<std::string>{"text", "due_date", "field", "status"}));
    EXPECT_TRUE(cat().writable_fields("person").empty());
}

TEST(catalogue, require_field_lists_what_is_allowed) {
    EXPECT_EQ(cat().require_field("goal", "status").name, "status");
    EXPECT_INPUT_ERROR_HAS(cat().require_field("goal", "colour"), "text, due_date, field, status");
    EXPECT_INPUT_ERROR_HAS(cat().require_field("goal", "colour"), "'colour'");
    EXPECT_INPUT_ERROR_HAS(cat().require_field("person", "name"), "case, consent, goal, referral, contact");
}

// ------------------------------------------------------ statistical values ---

TEST(catalogue, check_statistical_value_accepts_allowed_values) {
    const FieldSpec& phase = *cat().field("case", "phase");
    for (const auto& v : phase.values) EXPECT_NO_THROW(cat().check_statistical_value("case", phase, json(v))) << v;
    EXPECT_NO_THROW(cat().check_statistical_value("case", *cat().field("case", "need.wohnen"), json("2")));
    EXPECT_NO_THROW(cat().check_statistical_value("case", *cat().field("case", "opened_quarter"), json("2026-Q3")));
    EXPECT_NO_THROW(cat().check_statistical_value("case", *cat().field("case", "_erased"), json(true)));
    EXPECT_NO_THROW(cat().check_statistical_value("goal", *cat().field("goal", "case"),
                                                  json("0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f")));
}

TEST(catalogue, check_statistical_value_refuses_and_lists_allowed_values) {
    const FieldSpec& phase = *cat().field("case", "phase");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", phase, json("open")),
                           "intake, assessment, planning, linking, monitoring, evaluation, closed");
    try {
        cat().check_statistical_value("case", phase, json("Amira Haddad"));
        ADD_FAILURE() << "a value outside the list was accepted";
    } catch (const kim::InputError& e) {
        // Personal data typed into the wrong field must not reach error output.
        EXPECT_EQ(std::string(e.what()).find("Amira"), std::string::npos) << e.what();
    }
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", phase, json("Intake")), "case field 'phase'");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", phase, json(3)), "allowed values");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", phase, json(true)), "allowed values");
    const FieldSpec& need = *cat().field("case", "need.kita");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", need, json("4")), "0, 1, 2, 3");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", need, json(2)), "0, 1, 2, 3");
}

TEST(catalogue, check_statistical_value_of_quarter_flag_and_link) {
    const FieldSpec& q = *cat().field("case", "opened_quarter");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", q, json("2026-Q5")), "quarter like 2026-Q3");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", q, json("2026-03-01")), "quarter");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", q, json(2026)), "quarter");
    const FieldSpec& erased = *cat().field("case", "_erased");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", erased, json(false)), "only takes the value true");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", erased, json("true")), "true");
    const FieldSpec& link = *cat().field("consent", "case");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("consent", link, json("Max Mustermann")), "case id");
    EXPECT_INPUT_ERROR_HAS(
        cat().check_statistical_value("consent", link, json("0B6F3C1E-9A2D-4F5E-8C7B-1A2B3C4D5E6F")), "lowercase");
}

TEST(catalogue, check_statistical_value_refuses_confidential_fields) {
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", *cat().field("case", "name"), json("x")),
                           "confidential");
    EXPECT_INPUT_ERROR_HAS(cat().check_statistical_value("case", *cat().field("case", "_key"), json("x")),
                           "confidential");
}

TEST(catalogue, check_confidential_text) {
    const FieldSpec& name = *cat().field("case", "name");
    EXPECT_NO_THROW(cat().check_confidential_text("case", name, "Ayşe Yılmaz"));
    EXPECT_NO_THROW(cat().check_confidential_text("case", name, std::string(200, 'x')));
    EXPECT_INPUT_ERROR_HAS(cat().check_confidential_text("case", name, std::string(201, 'x')), "longer than 200");
    EXPECT_INPUT_ERROR_HAS(cat().check_confidential_text("case", name, "bad \xff byte"), "UTF-8");
    const FieldSpec& birth = *cat().field("case", "birth_date");
    EXPECT_NO_THROW(cat().check_confidential_text("case", birth, "1990-04-17"));
    EXPECT_INPUT_ERROR_HAS(cat().check_confidential_text("case", birth, "17.04.1990"), "YYYY-MM-DD");
    EXPECT_INPUT_ERROR_HAS(cat().check_confidential_text("case", *cat().field("case", "phase"), "intake"),
                           "not a confidential text field");
    EXPECT_INPUT_ERROR_HAS(cat().check_confidential_text("case", *cat().field("case", "_key"), "k"),
                           "not a confidential text field");
}

// ------------------------------------------------ quarters, dates, UTF-8 ---

TEST(catalogue, quarter_syntax) {
    for (const char* ok : {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "1999-Q1"}) EXPECT_TRUE(kim::is_quarter(ok)) << ok;
    for (const char* bad : {"2026-Q0", "2026-Q5", "2026-q1", "2026Q1", "26-Q1", "0999-Q1", "2026-Q12", "2026-Q",
                            "20a6-Q1", " 2026-Q1", ""}) {
        EXPECT_FALSE(kim::is_quarter(bad)) << bad;
    }
}

TEST(catalogue, date_syntax_and_calendar) {
    for (const char* ok : {"1990-04-17", "2024-02-29", "2000-02-29", "2026-12-31", "1900-01-01", "2026-04-30"}) {
        EXPECT_TRUE(kim::is_iso_date(ok)) << ok;
    }
    for (const char* bad : {"2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
                            "2026-01-32", "1899-12-31", "2026-1-01", "2026/01/01", "20260101", "2026-01-01T00",
                            "+026-01-01", "2026-0a-01", ""}) {
        EXPECT_FALSE(kim::is_iso_date(bad)) << bad;
    }
}

TEST(catalogue, utf8_validation) {
    EXPECT_TRUE(kim::is_valid_utf8(""));
    EXPECT_TRUE(kim::is_valid_utf8("plain ascii"));
    EXPECT_TRUE(kim::is_valid_utf8("Einb\xc3\xbcrgerung"));               // ü
    EXPECT_TRUE(kim::is_valid_utf8("\xe2\x82\xac"));                      // €
    EXPECT_TRUE(kim::is_valid_utf8("\xf0\x9f\x98\x80"));                  // U+1F600
    EXPECT_TRUE(kim::is_valid_utf8("\xf4\x8f\xbf\xbf"));                  // U+10FFFF
    EXPECT_TRUE(kim::is_valid_utf8("\xed\x9f\xbf"));                      // U+D7FF, just below the surrogates
    EXPECT_TRUE(kim::is_valid_utf8(std::string("a\0b", 3)));

    EXPECT_FALSE(kim::is_valid_utf8("\xc0\xaf"));              // overlong '/'
    EXPECT_FALSE(kim::is_valid_utf8("\xc1\xbf"));              // overlong
    EXPECT_FALSE(kim::is_valid_utf8("\xe0\x80\xaf"));          // overlong, 3 bytes
    EXPECT_FALSE(kim::is_valid_utf8("\xf0\x80\x80\xaf"));      // overlong, 4 bytes
    EXPECT_FALSE(kim::is_valid_utf8("\xed\xa0\x80"));          // U+D800 surrogate
    EXPECT_FALSE(kim::is_valid_utf8("\xed\xbf\xbf"));          // U+DFFF surrogate
    EXPECT_FALSE(kim::is_valid_utf8("\xf4\x90\x80\x80"));      // U+110000
    EXPECT_FALSE(kim::is_valid_utf8("\xc3"));                  // truncated
    EXPECT_FALSE(kim::is_valid_utf8("ab\xe2\x82"));            // truncated at the end
    EXPECT_FALSE(kim::is_valid_utf8("\xe2\x82" "a"));          // bad continuation
    EXPECT_FALSE(kim::is_valid_utf8("\x80"));                  // lone continuation
    EXPECT_FALSE(kim::is_valid_utf8("\xff"));
    EXPECT_FALSE(kim::is_valid_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
}

// ------------------------------------------------------------ Catalogue::parse ---

json minimal_doc() {
    return json::parse(R"({
      "catalogue_version": 3,
      "value_lists": {"levels": ["0", "1"], "areas": ["a", "b"]},
      "kinds": [
        {"kind": "case", "fields": [
          {"name": "name", "type": "text", "confidential": true},
          {"name": "phase", "type": "enum", "confidential": false, "values": ["open", "closed"]},
          {"name": "need.*", "type": "enum", "confidential": false, "members": "areas", "values_from": "levels"}
        ]},
        {"kind": "note", "belongs_to_case": true, "append_only": true, "fields": [
          {"name": "text", "type": "text", "confidential": true, "max_bytes": 10}
        ]}
      ]
    })");
}

TEST(catalogue, parse_accepts_a_minimal_document) {
    const Catalogue c = Catalogue::parse(minimal_doc());
    EXPECT_EQ(c.version(), 3);
    EXPECT_EQ(c.writable_fields("case"), (std::vector<std::string>{"name", "phase", "need.a", "need.b"}));
    EXPECT_EQ(c.field("case", "need.b")->values, (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(c.field("case", "name")->max_bytes, 4096u);  // default
    EXPECT_EQ(c.field("note", "text")->max_bytes, 10u);
    EXPECT_TRUE(c.kind("note")->append_only);
    EXPECT_NE(c.field("note", "case"), nullptr);
    EXPECT_EQ(c.field("note", "_key"), nullptr);
    EXPECT_NE(c.field("case", "_key"), nullptr);
}

TEST(catalogue, parse_refuses_confidential_enum) {
    auto doc = minimal_doc();
    doc["kinds"][0]["fields"][1]["confidential"] = true;
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "case.phase");
}

TEST(catalogue, parse_refuses_statistical_text) {
    auto doc = minimal_doc();
    doc["kinds"][0]["fields"][0]["confidential"] = false;
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "text and dates must be confidential");
}

TEST(catalogue, parse_refuses_unknown_type) {
    auto doc = minimal_doc();
    doc["kinds"][0]["fields"][0]["type"] = "blob";
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "unknown type 'blob'");
}

TEST(catalogue, parse_refuses_duplicate_field) {
    auto doc = minimal_doc();
    doc["kinds"][0]["fields"].push_back({{"name", "name"}, {"type", "text"}, {"confidential", true}});
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "field 'name' appears twice");
    auto doc2 = minimal_doc();
    // An expanded member colliding with a plain field.
    doc2["kinds"][0]["fields"].push_back(
        {{"name", "need.a"}, {"type", "enum"}, {"confidential", false}, {"values", {"x"}}});
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc2), "need.a");
}

TEST(catalogue, parse_refuses_duplicate_kind) {
    auto doc = minimal_doc();
    doc["kinds"].push_back(doc["kinds"][1]);
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "kind 'note' appears twice");
}

TEST(catalogue, parse_refuses_unknown_value_list) {
    auto doc = minimal_doc();
    doc["kinds"][0]["fields"][2]["values_from"] = "nowhere";
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "unknown value list 'nowhere'");
    auto doc2 = minimal_doc();
    doc2["kinds"][0]["fields"][2]["members"] = "nowhere";
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc2), "unknown value list 'nowhere'");
}

TEST(catalogue, parse_refuses_reserved_and_bad_field_names) {
    for (const char* n : {"_erased", "_key", "case", "Name", "na me", ""}) {
        auto doc = minimal_doc();
        doc["kinds"][1]["fields"].push_back({{"name", n}, {"type", "text"}, {"confidential", true}});
        SCOPED_TRACE(std::string("field name '") + n + "'");
        EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "bad field name");
    }
    auto doc = minimal_doc();
    doc["kinds"][1]["kind"] = "Note";
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "bad kind name");
}

TEST(catalogue, parse_refuses_empty_enum_and_missing_keys) {
    auto empty_values = minimal_doc();
    empty_values["kinds"][0]["fields"][1]["values"] = json::array();
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(empty_values), "non-empty list");
    auto no_values = minimal_doc();
    no_values["kinds"][0]["fields"][1].erase("values");
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(no_values), "field catalogue");
    auto no_version = minimal_doc();
    no_version.erase("catalogue_version");
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(no_version), "field catalogue");
    auto no_confidential = minimal_doc();
    no_confidential["kinds"][0]["fields"][0].erase("confidential");
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(no_confidential), "field catalogue");
    auto wrong_type = minimal_doc();
    wrong_type["kinds"][0]["fields"][0]["confidential"] = "yes";
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(wrong_type), "field catalogue");
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(json::array()), "must be an object");
}

TEST(catalogue, parse_requires_the_case_kind) {
    auto doc = minimal_doc();
    doc["kinds"].erase(0);
    EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "the kind 'case' is required");
}

// ---------------------------------------------- changes against the catalogue ---

const std::string a_record_id = "0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f";

kim::FieldOp clear_op(std::string field, json value) {
    kim::FieldOp op;
    op.field = std::move(field);
    op.value = std::move(value);
    return op;
}

kim::FieldOp secret_op(std::string field) {
    kim::FieldOp op;
    op.field = std::move(field);
    op.ct_hash = kim::Hash32{};
    op.ct_hash->fill(0x11);
    return op;
}

kim::Change change_of(std::string kind, std::vector<kim::FieldOp> ops) {
    kim::Change c;
    c.origin = "hamborn-a";
    c.seq = 7;
    c.site = "hamborn";
    c.record = a_record_id;
    c.kind = std::move(kind);
    c.hlc = kim::hlc_pack(1'767'225'600'000, 0);
    c.ops = std::move(ops);
    return c;
}

TEST(change_rules, accepts_a_well_formed_case) {
    const auto c = change_of("case", {clear_op("_erased", true), secret_op("_key"), secret_op("name"),
                                      clear_op("need.wohnen", "2"), clear_op("opened_quarter", "2026-Q1"),
                                      clear_op("phase", "intake")});
    EXPECT_NO_THROW(kim::check_change_against_catalogue(cat(), c));
}

TEST(change_rules, accepts_a_record_linked_to_its_case) {
    const auto c = change_of("goal", {clear_op("case", "1a2b3c4d-0000-4000-8000-000000000001"),
                                      clear_op("field", "wohnen"), clear_op("status", "open"), secret_op("text")});
    EXPECT_NO_THROW(kim::check_change_against_catalogue(cat(), c));
}

TEST(change_rules, refuses_unknown_kind) {
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("person", {secret_op("name")})),
                           "unknown record kind 'person'");
}

TEST(change_rules, refuses_unknown_field_naming_the_change) {
    const auto c = change_of("case", {clear_op("colour", "red")});
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), c), "change hamborn-a:7");
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), c), "unknown field 'colour'");
}

TEST(change_rules, refuses_reserved_fields_where_they_do_not_apply) {
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("goal", {secret_op("_key")})),
                           "unknown field '_key'");
    EXPECT_INPUT_ERROR_HAS(
        kim::check_change_against_catalogue(cat(), change_of("case", {clear_op("case", a_record_id)})),
        "unknown field 'case'");
}

TEST(change_rules, refuses_confidential_field_with_clear_value) {
    EXPECT_INPUT_ERROR_HAS(
        kim::check_change_against_catalogue(cat(), change_of("case", {clear_op("name", "Max Mustermann")})),
        "confidential field 'name' must be encrypted");
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("case", {clear_op("_key", "k")})),
                           "confidential field '_key'");
}

TEST(change_rules, refuses_confidential_field_with_both_clear_value_and_hash) {
    // A clear value next to the ciphertext hash would leak the plaintext to the server.
    auto op = secret_op("name");
    op.value = "Max Mustermann";
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("case", {op})),
                           "confidential field 'name' must not carry a clear value");
}

TEST(change_rules, refuses_statistical_field_with_ct_hash) {
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("case", {secret_op("phase")})),
                           "statistical field 'phase' must carry a clear value");
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("case", {secret_op("_erased")})),
                           "'_erased'");
    auto both = secret_op("phase");
    both.value = "intake";
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("case", {both})),
                           "statistical field 'phase' must not carry a ciphertext");
    auto with_ct = clear_op("phase", "intake");
    with_ct.ct = kim::Bytes(40, 0);
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("case", {with_ct})),
                           "must not carry a ciphertext");
}

TEST(change_rules, refuses_bad_statistical_value) {
    const auto c = change_of("case", {clear_op("phase", "open")});
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), c), "change hamborn-a:7");
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), c), "allowed values: intake");
    EXPECT_INPUT_ERROR_HAS(
        kim::check_change_against_catalogue(cat(), change_of("case", {clear_op("_erased", false)})), "true");
    EXPECT_INPUT_ERROR_HAS(
        kim::check_change_against_catalogue(cat(), change_of("contact", {clear_op("case", "not-a-uuid")})),
        "case id");
}

TEST(change_rules, refuses_hlc_beyond_signed_64_bits) {
    auto c = change_of("case", {clear_op("phase", "intake")});
    c.hlc = kim::max_hlc;
    EXPECT_NO_THROW(kim::check_change_against_catalogue(cat(), c));
    c.hlc = kim::max_hlc + 1;
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), c), "clock value out of range");
}

}  // namespace

TEST(change_rules, an_append_only_record_is_only_created_or_erased) {
    const auto created = change_of("contact", {clear_op("case", "1a2b3c4d-0000-4000-8000-000000000001"),
                                               clear_op("mode", "phone"), secret_op("text")});
    EXPECT_NO_THROW(kim::check_change_against_catalogue(cat(), created));
    EXPECT_NO_THROW(kim::check_change_against_catalogue(cat(), change_of("contact", {clear_op("_erased", true)})));
    EXPECT_INPUT_ERROR_HAS(kim::check_change_against_catalogue(cat(), change_of("contact", {secret_op("text")})),
                           "append-only");
    EXPECT_NO_THROW(kim::check_change_against_catalogue(cat(), change_of("goal", {clear_op("status", "achieved")})))
        << "other kinds can be edited";
}

TEST(catalogue, parse_refuses_numbers_that_are_not_whole_or_out_of_range) {
    // Found by fuzz.catalogue: a float here was an out-of-range conversion (UB),
    // and a negative max_bytes silently meant no bound at all.
    for (const json& bad : {json(1e300), json(3.7), json(-1)}) {
        auto doc = minimal_doc();
        doc["catalogue_version"] = bad;
        EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "catalogue_version must be a whole number");
    }
    for (const json& bad : {json(1e300), json(10.5), json(-1), json(0), json(std::uint64_t{1} << 40)}) {
        auto doc = minimal_doc();
        doc["kinds"][1]["fields"][0]["max_bytes"] = bad;
        EXPECT_INPUT_ERROR_HAS(Catalogue::parse(doc), "note.text: max_bytes must be a whole number");
    }
}
