// Untrusted JSON: bounded nesting, errors that never quote the input.
#include <gtest/gtest.h>

#include <string>

#include "kim/shared/change.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

TEST(json_input, parses_ordinary_documents) {
    const auto j = kim::parse_untrusted_json(R"({"a": [1, {"b": "c"}]})", "test");
    EXPECT_EQ(j["a"][1]["b"], "c");
}

TEST(json_input, deep_nesting_is_refused_without_recursion) {
    // 200,000 levels overflow the stack of any recursive copy or dump.
    const std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
    try {
        kim::parse_untrusted_json(deep, "the change file x.json");
        FAIL() << "deep nesting accepted";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("deeper"), std::string::npos) << e.what();
    }
    const std::string ok = std::string(kim::max_json_depth, '[') + std::string(kim::max_json_depth, ']');
    EXPECT_NO_THROW(kim::parse_untrusted_json(ok, "test"));
}

TEST(json_input, syntax_errors_name_the_offset_but_not_the_content) {
    try {
        kim::parse_untrusted_json(R"({"name": "Amira Haddad", oops})", "the file y.json");
        FAIL() << "bad JSON accepted";
    } catch (const kim::InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("y.json"), std::string::npos) << msg;
        EXPECT_NE(msg.find("byte"), std::string::npos) << msg;
        EXPECT_EQ(msg.find("Amira"), std::string::npos) << "the input is not quoted: " << msg;
    }
    EXPECT_THROW(kim::parse_untrusted_json("", "empty"), kim::InputError);
    EXPECT_THROW(kim::parse_untrusted_json("{\"a\": \"\xff\"}", "bad utf-8"), kim::InputError);
}

TEST(json_input, a_number_beyond_a_double_is_an_input_error) {
    // Found by the fuzzers: nlohmann throws out_of_range here, not parse_error,
    // and it escaped as an internal error (a 500 from the server).
    try {
        kim::parse_untrusted_json(R"({"identity": 1e400})", "the request body");
        FAIL() << "1e400 accepted";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("number too large"), std::string::npos) << e.what();
    }
}

TEST(json_input, many_small_objects_parse_to_the_same_document) {
    // The depth check runs in a pass of its own (nlohmann's callback parser
    // rescans the enclosing array at every object's end: quadratic).
    std::string text = "[";
    for (int i = 0; i < 20000; ++i) text += i ? ",{}" : "{}";
    text += "]";
    const auto doc = kim::parse_untrusted_json(text, "many objects");
    ASSERT_TRUE(doc.is_array());
    EXPECT_EQ(doc.size(), 20000u);
}

TEST(change, a_parent_that_is_not_earlier_than_the_change_is_refused) {
    const auto base = nlohmann::json::parse(R"({"v":1,"origin":"hamborn-a","seq":5,"site":"hamborn",
        "record":"0b6f3c1e-9a2d-4f5e-8c7b-1a2b3c4d5e6f","kind":"case","hlc":1,
        "ops":[{"field":"phase","parents":["hamborn-a:4"],"value":"intake"}],
        "prev":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "sig":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="})");
    EXPECT_NO_THROW(kim::change_from_json(base));
    for (const char* parent : {"hamborn-a:5", "hamborn-a:6", "hamborn-a:100"}) {
        auto j = base;
        j["ops"][0]["parents"] = nlohmann::json::array({parent});
        EXPECT_THROW(kim::change_from_json(j), kim::InputError) << parent;
    }
    auto other = base;
    other["ops"][0]["parents"] = nlohmann::json::array({"hamborn-b:100"});
    EXPECT_NO_THROW(kim::change_from_json(other)) << "another origin's later seq is possible";
}
