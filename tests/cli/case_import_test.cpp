// End-to-end tests of `kim case import` (the real binary): many cases with
// their records from JSON Lines, all or nothing, errors by line number that
// never repeat a person's data.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_process.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kim::test::ProcessResult;
using kim::test::TempDir;

// Distinctive, so that a leak into an error message is found by a plain search.
const std::string kPassphrase = "Import-Passwort-Marxloh-2718";
const std::string kName1 = "Amira Haddad-Yıldız";
const std::string kName2 = "Jürgen Weiß-Öztürk";
const std::string kName3 = "Svitlana Shevchenko";
const std::string kSecretName = "Leyla Geheimname-Ruhrort";

ProcessResult kim_in(const fs::path& home, const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::vector<std::string> argv{KIM_BINARY, "--home", home.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return kim::test::run_process(argv,
                                  {{"KIM_PASSPHRASE", kPassphrase},
                                   {"KIM_BUNDLE_PASSPHRASE", "Import-Buendel-3141"},
                                   {"KIM_HOME", "/nonexistent/kim-home-of-the-tests"}},
                                  stdin_text);
}

std::string ok(const fs::path& home, const std::vector<std::string>& args, const std::string& stdin_text = "") {
    const auto r = kim_in(home, args, stdin_text);
    if (r.exit_code != 0) {
        std::string cmd = "kim";
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error(cmd + ": exit " + std::to_string(r.exit_code) + "\n  stdout: " + r.out + "\n  stderr: " + r.err);
    }
    return r.out;
}

json ok_json(const fs::path& home, const std::vector<std::string>& args) { return json::parse(ok(home, args)); }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto end = text.find('\n', at);
        out.push_back(text.substr(at, end - at));
        at = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
}

void write_file(const fs::path& path, const std::string& text) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path.string());
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
}

// Three cases: with records of every kind, with a referral only, with none.
std::string three_cases() {
    json first = {{"fields",
                   {{"name", kName1}, {"birth_date", "1991-06-02"}, {"phase", "planning"}, {"need.wohnen", "2"}, {"sex", "female"},
                    {"opened_quarter", "2026-Q1"}}},
                  {"consents", {{{"scope", "processing"}, {"purposes", "Beratung"}}}},
                  {"goals", {{{"field", "wohnen"}, {"status", "in_progress"}, {"text", "Eigene Wohnung finden"}}}},
                  {"referrals", {{{"target_type", "housing"}, {"outcome", "pending"}, {"agency", "Wohnungsamt Duisburg"}}}},
                  {"contacts", {{{"text", "Erstgespräch im Büro"}, {"mode", "in_person"}}}}};
    json second = {{"fields", {{"name", kName2}, {"need.arbeit", 3}, {"phase", "closed"}, {"closure_reason", "moved_away"},
                               {"closed_quarter", "2026-Q3"}}},
                   {"referrals", {{{"target_type", "jobcenter"}, {"barrier", "language"}}}}};
    json third = {{"fields", {{"name", kName3}}}};
    // A comment, an empty line and Windows line ends, as a spreadsheet export may have them.
    return "# exported from the old case list\n" + first.dump() + "\r\n\n" + second.dump() + "\n" + third.dump() + "\n";
}

class cli_case_import : public ::testing::Test {
protected:
    void SetUp() override {
        home_ = dir_.path() / "marxloh-a";
        ok(home_, {"init", "--site", "marxloh", "--replica", "marxloh-a"});
    }

    // Fails the test unless the replica still holds no case and no change.
    void expect_nothing_written(const std::string& what) {
        const json status = ok_json(home_, {"status", "--json"});
        EXPECT_EQ(status["cases"], 0) << what;
        EXPECT_EQ(status["own_changes"], 0) << what;
        EXPECT_EQ(ok_json(home_, {"case", "list", "--json"}), json::array()) << what;
    }

    // Runs an import of `text` that must fail with exit 2 and name `mentions`.
    void expect_refused(const std::string& text, const std::string& mentions, const std::string& what) {
        const fs::path file = dir_.path() / "bad.jsonl";
        write_file(file, text);
        const auto r = kim_in(home_, {"case", "import", file.string()});
        EXPECT_EQ(r.exit_code, 2) << what << "\n  stderr: " << r.err;
        EXPECT_EQ(r.out, "") << what;
        EXPECT_NE(r.err.find(mentions), std::string::npos) << what << ": stderr does not mention '" << mentions << "':\n" << r.err;
        EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << what << ":\n" << r.err;
        for (const auto& secret : {kSecretName, kName1, std::string("Geheimname")}) {
            EXPECT_EQ(r.err.find(secret), std::string::npos) << what << ": the error repeats a person's data:\n" << r.err;
        }
    }

    TempDir dir_{"kimimport"};
    fs::path home_;
};

TEST_F(cli_case_import, writes_every_case_with_its_records_as_signed_changes) {
    const fs::path file = dir_.path() / "cases.jsonl";
    write_file(file, three_cases());
    const auto r = kim_in(home_, {"case", "import", file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto ids = lines_of(r.out);
    ASSERT_EQ(ids.size(), 3u) << r.out;
    EXPECT_EQ(r.err, "imported 3 cases with 5 records\n");

    // In file order, with their fields (confidential ones decrypted) and records.
    const json first = ok_json(home_, {"case", "show", ids[0], "--json"});
    EXPECT_EQ(first["fields"]["name"], kName1);
    EXPECT_EQ(first["fields"]["phase"], "planning");
    EXPECT_EQ(first["fields"]["opened_quarter"], "2026-Q1");
    EXPECT_EQ(first["fields"]["need.wohnen"], "2");
    EXPECT_TRUE(first["fields"].contains("age_band")) << "derived from birth_date as by `kim case new`";
    std::multiset<std::string> kinds;
    for (const auto& rec : first["records"]) kinds.insert(rec["kind"].get<std::string>());
    EXPECT_EQ(kinds, (std::multiset<std::string>{"consent", "goal", "referral", "contact"}));
    std::map<std::string, json> by_kind;
    for (const auto& rec : first["records"]) by_kind[rec["kind"].get<std::string>()] = rec["fields"];
    EXPECT_EQ(by_kind["consent"]["withdrawn"], "no") << "the defaults of `kim add`";
    EXPECT_EQ(by_kind["goal"]["text"], "Eigene Wohnung finden");
    EXPECT_EQ(by_kind["referral"]["agency"], "Wohnungsamt Duisburg");
    EXPECT_EQ(by_kind["contact"]["text"], "Erstgespräch im Büro");
    const json second = ok_json(home_, {"case", "show", ids[1], "--json"});
    EXPECT_EQ(second["fields"]["name"], kName2);
    EXPECT_EQ(second["fields"]["need.arbeit"], "3") << "a whole number is taken as its text";
    EXPECT_EQ(second["fields"]["closure_reason"], "moved_away");
    ASSERT_EQ(second["records"].size(), 1u);
    EXPECT_EQ(second["records"][0]["fields"]["outcome"], "pending");
    const json third = ok_json(home_, {"case", "show", ids[2], "--json"});
    EXPECT_EQ(third["fields"]["phase"], "intake") << "the default phase of a new case";

    const json list = ok_json(home_, {"case", "list", "--json"});
    ASSERT_EQ(list.size(), 3u);
    std::set<std::string> listed;
    for (const auto& c : list) listed.insert(c["id"].get<std::string>());
    EXPECT_EQ(listed, std::set<std::string>(ids.begin(), ids.end()));

    // One change per record, all in the outbox, and another replica of the
    // site verifies their signatures and decrypts them.
    const json status = ok_json(home_, {"status", "--json"});
    EXPECT_EQ(status["own_changes"], 8);
    EXPECT_EQ(status["sync"]["outbox"], 8);
    const fs::path bundle = dir_.path() / "marxloh.key", changes = dir_.path() / "changes.json", other = dir_.path() / "marxloh-b";
    ok(home_, {"key", "export", "--out", bundle.string()});
    ok(home_, {"export-changes", "--out", changes.string()});
    ok(other, {"init", "--site", "marxloh", "--replica", "marxloh-b", "--join", bundle.string()});
    const json report = json::parse(ok(other, {"import-changes", changes.string(), "--json"}));
    EXPECT_EQ(report["applied"], 8) << report.dump();
    EXPECT_EQ(ok_json(other, {"case", "show", ids[0], "--json"})["fields"]["name"], kName1);
}

TEST_F(cli_case_import, an_error_on_line_2_writes_nothing_and_does_not_repeat_the_name) {
    const std::string good = R"({"fields": {"name": "Erste Person"}})";
    expect_refused(good + "\n" + R"({"fields": {"name": ")" + kSecretName + R"(", "sex": "Leyla"}})" + "\n", "line 2",
                   "a value outside the catalogue");
    expect_refused(good + "\n" + R"({"fields": {"name": ")" + kSecretName + R"(", "phase": "intake",})" + "\n", "line 2",
                   "broken JSON");
    expect_refused(good + "\n" + R"({"fields": {"name": ")" + kSecretName + R"(", "hobby": "Fußball"}})" + "\n",
                   "line 2: unknown field 'hobby'", "a field that is not in the catalogue");
    expect_refused(good + "\n" + R"({"fields": {"name": "x"}, "notes": []})" + "\n", "line 2: unknown key 'notes'", "an unknown key");
    expect_refused(good + "\n" + R"({"fields": {"name": ")" + kSecretName + R"(", "name": "Leyla"}})" + "\n", "line 2",
                   "a field given twice");
    expect_refused(good + "\n" + R"({"fields": {")" + kSecretName + R"(": "1"}})" + "\n", "line 2", "a name where a field name should be");
    expect_refused(good + "\n" + R"({"fields": {"name": "x"}, "referrals": [{"agency": ")" + kSecretName +
                       R"(", "outcome": "maybe"}]})" + "\n",
                   "line 2: referral 1: referral field 'outcome'", "a bad record");
    expect_refused(good + "\n" + R"({"fields": {"name": "x"}, "contacts": [{"mode": "phone"}]})" + "\n", "line 2: contact 1",
                   "a contact without its note, as `kim add` refuses it");
    expect_refused(good + "\n" + R"({"fields": {"name": ")" + kSecretName + R"(", "birth_date": "02.06.1991"}})" + "\n",
                   "line 2: case field 'birth_date'", "a date in the wrong form");
    expect_refused(good + "\n" + std::string((1 << 20) + 10, ' ') + "\n", "line 2: longer than 1 MiB", "an overlong line");
    expect_refused("# only a comment\n\n", "no case lines", "a file without cases");
    expect_nothing_written("after every refused import");
}

TEST_F(cli_case_import, reads_standard_input_and_prints_json) {
    const std::string two = R"({"fields": {"name": "Erste Person", "need.deutsch": "1"}})"
                            "\n"
                            R"({"fields": {"name": "Zweite Person"}, "goals": [{"text": "Deutschkurs B1", "field": "deutsch"}]})"
                            "\n";
    const auto r = kim_in(home_, {"case", "import", "-", "--json"}, two);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json ids = json::parse(r.out);
    ASSERT_TRUE(ids.is_array());
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(r.err, "imported 2 cases with 1 record\n");
    EXPECT_EQ(ok_json(home_, {"case", "show", ids[1].get<std::string>(), "--json"})["fields"]["name"], "Zweite Person");
    EXPECT_EQ(ok_json(home_, {"status", "--json"})["own_changes"], 3);
}

TEST(cli_case_import_help, documents_the_format) {
    const auto r = kim::test::run_process({KIM_BINARY, "case", "import", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("JSON Lines"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"fields\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"referrals\""), std::string::npos) << r.out;
}

}  // namespace
