// End-to-end tests of the `kim` command line: the real binary (KIM_BINARY),
// run as a child process without a terminal, on replicas in temporary folders.
//
// Every kim invocation that opens a replica derives an Argon2id key (~0.1 s),
// so the suites share their replicas where a test only reads or must leave
// the replica untouched anyway.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_process.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kim::test::ProcessResult;
using kim::test::TempDir;

// Distinctive, so that a leak into any output is found by a plain search.
const std::string kPassphrase = "Rhein-Ruhr-Passwort-4711";
const std::string kBundlePassphrase = "Schluessel-Buendel-0815";
const std::string kWrongPassphrase = "Falsches-Kennwort-Hochfeld-9";

// German names with umlauts and ß: the values must survive encryption,
// the change file and the other replica byte for byte.
const std::string kName = "Jürgen Özdemir-Weiß";
const std::string kAddress = "Weseler Straße 12, 47169 Duisburg-Hamborn";
const std::string kContactText = "Erstgespräch: Wohnungssuche, Unterlagen für die Ausländerbehörde mitbringen";

using Env = std::map<std::string, std::string>;

Env default_env() {
    // KIM_HOME is set to a folder that does not exist: every call must name its
    // replica with --home, and a stray KIM_HOME of the developer is never used.
    return {{"KIM_PASSPHRASE", kPassphrase},
            {"KIM_BUNDLE_PASSPHRASE", kBundlePassphrase},
            {"KIM_HOME", "/nonexistent/kim-home-of-the-tests"}};
}

std::string describe(const std::vector<std::string>& args, const ProcessResult& r) {
    std::string cmd = "kim";
    for (const auto& a : args) cmd += " '" + a + "'";
    return cmd + "\n  exit " + std::to_string(r.exit_code) + "\n  stdout: " + r.out + "\n  stderr: " + r.err;
}

// Runs kim with the given arguments (no --home added).
ProcessResult kim_raw(const std::vector<std::string>& args, const Env& env = default_env()) {
    std::vector<std::string> argv{KIM_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return kim::test::run_process(argv, env);
}

// Runs kim on the replica in `home`.
ProcessResult kim_at(const fs::path& home, const std::vector<std::string>& args, const Env& env = default_env()) {
    std::vector<std::string> all{"--home", home.string()};
    all.insert(all.end(), args.begin(), args.end());
    return kim_raw(all, env);
}

// Runs kim on `home` and requires success; returns standard output. A failure
// throws, which GoogleTest reports with the whole command and its output.
std::string ok(const fs::path& home, const std::vector<std::string>& args, const Env& env = default_env()) {
    const auto r = kim_at(home, args, env);
    if (r.exit_code != 0) throw std::runtime_error("expected success:\n" + describe(args, r));
    return r.out;
}

json parse_json(const std::string& text, const std::string& what) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw std::runtime_error(what + " did not print valid JSON (" + e.what() + "):\n" + text);
    }
}

json ok_json(const fs::path& home, const std::vector<std::string>& args) {
    return parse_json(ok(home, args), "kim " + args.front());
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

bool is_uuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

// Creates a case or record; kim prints only its new id.
std::string new_id(const fs::path& home, const std::vector<std::string>& args) {
    const std::string id = trimmed(ok(home, args));
    if (!is_uuid(id)) throw std::runtime_error("expected a record id from kim " + args.front() + ", got: " + id);
    return id;
}

void init_site_pair(const fs::path& dir, fs::path& a, fs::path& b) {
    a = dir / "hamborn-a";
    b = dir / "hamborn-b";
    ok(a, {"init", "--site", "hamborn", "--replica", "hamborn-a"});
    ok(a, {"key", "export", "--out", (dir / "hamborn.key").string()});
    ok(b, {"init", "--site", "hamborn", "--replica", "hamborn-b", "--join", (dir / "hamborn.key").string()});
}

// Moves every change held by `from` to `to` by file; returns the import report.
json exchange(const fs::path& from, const fs::path& to, const fs::path& file) {
    ok(from, {"export-changes", "--out", file.string()});
    return ok_json(to, {"import-changes", file.string(), "--json"});
}

// A runtime error is reported by kim as one clear line on stderr.
void expect_kim_error(const ProcessResult& r, int exit_code, const std::string& mentions, const std::string& what) {
    EXPECT_EQ(r.exit_code, exit_code) << what << "\n  stdout: " << r.out << "\n  stderr: " << r.err;
    EXPECT_TRUE(r.err.starts_with("kim: ")) << what << ": stderr does not start with 'kim: ':\n" << r.err;
    EXPECT_EQ(r.out, "") << what << ": a failed command printed on stdout";
    if (!mentions.empty()) {
        EXPECT_NE(r.err.find(mentions), std::string::npos) << what << ": stderr does not mention '" << mentions << "':\n" << r.err;
    }
}

// What a replica looks like from outside: its database file byte for byte and
// what kim reads from it. (The SQLite -wal/-shm files may come and go.)
struct Snapshot {
    std::string db;
    std::string status;
    std::string show;  // `case show --json` of the given case, if any

    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const fs::path& home, const std::string& case_id = "") {
    Snapshot s;
    s.db = kim::test::read_file(home / "replica.db");
    if (s.db.empty()) throw std::runtime_error("no replica.db in " + home.string());
    s.status = ok(home, {"status", "--json"});
    if (!case_id.empty()) s.show = ok(home, {"case", "show", case_id, "--json"});
    return s;
}

void expect_unchanged(const fs::path& home, const Snapshot& before, const std::string& case_id, const std::string& what) {
    const Snapshot after = snapshot(home, case_id);
    EXPECT_TRUE(after.db == before.db) << what << ": replica.db changed";
    EXPECT_EQ(after.status, before.status) << what << ": `kim status --json` changed";
    EXPECT_EQ(after.show, before.show) << what << ": `kim case show --json` changed";
}

// Changes one character in the middle of the first "sig" value; the result is
// still valid base64 of the same length (the padding and its bits stay).
std::string tamper_first_signature(std::string file) {
    const std::string key = "\"sig\":\"";
    const auto at = file.find(key);
    if (at == std::string::npos) throw std::runtime_error("no \"sig\" in the change file");
    const std::size_t i = at + key.size() + 10;
    file[i] = file[i] == 'A' ? 'B' : 'A';
    return file;
}

void write_file(const fs::path& path, const std::string& text) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path.string());
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
}

// ---------------------------------------------------------------------------
// Help and usage errors: no replica involved.

TEST(cli_usage, help_lists_the_commands_and_exits_zero) {
    const auto r = kim_raw({"--help"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* command : {"init", "key", "pubkey", "status", "case", "add", "record", "conflicts", "resolve", "erase",
                                "export-changes", "import-changes", "export", "retention"}) {
        EXPECT_NE(r.out.find(std::string("  ") + command + " "), std::string::npos) << "`kim --help` does not list " << command
                                                                                     << ":\n" << r.out;
    }
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r.out;

    const auto sub = kim_raw({"case", "--help"});
    EXPECT_EQ(sub.exit_code, 0) << sub.err;
    for (const char* command : {"new", "set", "show", "list"}) EXPECT_NE(sub.out.find(command), std::string::npos) << sub.out;
}

TEST(cli_usage, init_without_site_is_ausage_error) {
    TempDir dir("kimcli");
    const auto r = kim_at(dir / "r", {"init", "--replica", "hamborn-a"});
    expect_kim_error(r, 2, "--site", "init without --site");
    EXPECT_FALSE(fs::exists(dir / "r" / "replica.db")) << "a replica was created without a site";
}

TEST(cli_usage, unknown_commands_are_usage_errors) {
    expect_kim_error(kim_raw({"frobnicate"}), 2, "frobnicate", "unknown command");
    expect_kim_error(kim_raw({"case", "frobnicate"}), 2, "frobnicate", "unknown case command");
    expect_kim_error(kim_raw({}), 2, "", "no command at all");
    expect_kim_error(kim_raw({"status", "--no-such-option"}), 2, "--no-such-option", "unknown option");
}

TEST(cli_config, kim_takes_its_options_from_a_config_file_and_the_command_line_wins) {
    TempDir dir("kimcli");
    const fs::path config = dir / "kim.conf";
    write_file(config, "home = \"" + (dir / "from-file").string() + "\"\n[init]\nsite = \"hamborn\"\nreplica = \"hamborn-a\"\n");
    const auto made = kim_raw({"--config", config.string(), "init"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_TRUE(fs::exists(dir / "from-file" / "replica.db"));
    // The same file through $KIM_CONFIG, with the home given on the command line.
    Env env = default_env();
    env["KIM_CONFIG"] = config.string();
    const auto second = kim_raw({"--home", (dir / "from-cli").string(), "init", "--replica", "hamborn-b"}, env);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(ok(dir / "from-cli", {"status"}).find("hamborn-b"), std::string::npos);
}

TEST(cli_config, a_misspelt_or_missing_config_file_is_a_usage_error) {
    TempDir dir("kimcli");
    const fs::path config = dir / "kim.conf";
    write_file(config, "hme = \"/tmp/x\"\n");
    expect_kim_error(kim_raw({"--config", config.string(), "status"}), 2, "hme", "a misspelt name in the config file");
    expect_kim_error(kim_raw({"--config", (dir / "none.conf").string(), "status"}), 2, "none.conf", "a missing config file");
}

TEST(cli_config, kim_server_takes_each_command_s_options_from_its_section) {
    TempDir dir("kimcli");
    const fs::path config = dir / "kim-server.conf";
    const std::string store = "data = \"" + (dir / "store").string() + "\"\n";
    write_file(config, store + "[replica.add]\nsite = \"hamborn\"\n[serve]\nlisten = \"127.0.0.1:0\"\ntls-cert = \"" +
                           (dir / "cert.pem").string() + "\"\n");
    const auto init = kim::test::run_process({KIM_SERVER_BINARY, "--config", config.string(), "init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    EXPECT_TRUE(fs::exists(dir / "store" / "server.db"));
    const auto add = kim::test::run_process({KIM_SERVER_BINARY, "--config", config.string(), "replica", "add", "hamborn-a",
                                             "--pubkey", "rScStZhwXxIEM1j/7FSCEZIEFU/YtMIv0dtHXAbz/I0="});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    const auto list = kim::test::run_process({KIM_SERVER_BINARY, "--data", (dir / "store").string(), "replica", "list"});
    EXPECT_NE(list.out.find("hamborn-a  site hamborn"), std::string::npos) << list.out;
    // serve read its section: a certificate without its key is refused before anything listens.
    const auto serve = kim::test::run_process({KIM_SERVER_BINARY, "--config", config.string(), "serve"});
    EXPECT_EQ(serve.exit_code, 2) << serve.err;
    EXPECT_NE(serve.err.find("--tls-cert and --tls-key go together"), std::string::npos) << serve.err;

    write_file(config, store + "[serve]\nthreads = 0\n");
    const auto bad = kim::test::run_process({KIM_SERVER_BINARY, "--config", config.string(), "replica", "list"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--threads"), std::string::npos) << bad.err;
    write_file(config, "[serve]\nlisen = \"127.0.0.1:0\"\n");
    const auto misspelt = kim::test::run_process({KIM_SERVER_BINARY, "--config", config.string(), "serve"});
    EXPECT_EQ(misspelt.exit_code, 2);
    EXPECT_NE(misspelt.err.find("lisen"), std::string::npos) << misspelt.err;
}

TEST(cli_usage, missing_replica_is_not_found_and_creates_nothing) {
    TempDir dir("kimcli");
    const fs::path nowhere = dir / "no-replica-here";
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"status"}, {"case", "list"}, {"pubkey"}, {"export-changes", "--out", (dir / "x.json").string()}}) {
        expect_kim_error(kim_at(nowhere, args), 3, "no replica", "kim " + args.front() + " on a missing replica");
    }
    // KIM_HOME is honoured the same way as --home.
    Env env = default_env();
    env["KIM_HOME"] = nowhere.string();
    expect_kim_error(kim_raw({"status"}, env), 3, nowhere.string(), "KIM_HOME pointing nowhere");
    EXPECT_FALSE(fs::exists(nowhere)) << "a read command created the replica folder";
    EXPECT_FALSE(fs::exists(dir / "x.json")) << "export-changes wrote a file without a replica";
}

// ---------------------------------------------------------------------------
// The offline scenario: two laptops of one site, exchanging change files.

TEST(cli_scenario, two_replicas_converge_through_conflict_and_resolution) {
    TempDir dir("kimcli");
    fs::path a, b;
    init_site_pair(dir.path(), a, b);
    EXPECT_NE(trimmed(ok(a, {"pubkey"})), trimmed(ok(b, {"pubkey"}))) << "two replicas share a signing key";

    const std::string id = new_id(a, {"case", "new", "name=" + kName, "address=" + kAddress, "phase=intake", "need.wohnen=2",
                                      "age_band=27_44"});
    // A unique prefix of the id is as good as the id.
    const std::string contact = new_id(a, {"add", "contact", "--case", id.substr(0, 8), "text=" + kContactText,
                                           "mode=in_person", "interpreter=professional"});

    json report = exchange(a, b, dir / "a1.json");
    EXPECT_EQ(report["received"], 2) << report.dump();
    EXPECT_EQ(report["applied"], 2) << report.dump();

    const json on_a = ok_json(a, {"case", "show", id, "--json"});
    const json on_b = ok_json(b, {"case", "show", id, "--json"});
    for (const json* shown : {&on_a, &on_b}) {
        const json& c = *shown;
        EXPECT_EQ(c["id"], id);
        EXPECT_EQ(c["kind"], "case");
        EXPECT_EQ(c["erased"], false);
        EXPECT_EQ(c["fields"]["name"], kName);
        EXPECT_EQ(c["fields"]["address"], kAddress);
        EXPECT_EQ(c["fields"]["phase"], "intake");
        EXPECT_EQ(c["fields"]["need.wohnen"], "2");
        EXPECT_EQ(c["fields"]["age_band"], "27_44");
        ASSERT_EQ(c["records"].size(), 1u) << c.dump(2);
        EXPECT_EQ(c["records"][0]["id"], contact);
        EXPECT_EQ(c["records"][0]["kind"], "contact");
        EXPECT_EQ(c["records"][0]["fields"]["text"], kContactText);
        EXPECT_EQ(c["records"][0]["fields"]["interpreter"], "professional");
    }
    EXPECT_EQ(on_a, on_b);

    // Offline, both laptops change the address of the same case.
    const std::string address_a = "Duisburger Straße 3, 47166 Duisburg";
    const std::string address_b = "Kaiser-Wilhelm-Straße 280, 47169 Duisburg";
    ok(a, {"case", "set", id, "address=" + address_a});
    ok(b, {"case", "set", id.substr(0, 6), "address=" + address_b});

    ok(a, {"export-changes", "--out", (dir / "a2.json").string()});
    ok(b, {"export-changes", "--out", (dir / "b2.json").string()});
    report = ok_json(a, {"import-changes", (dir / "b2.json").string(), "--json"});
    EXPECT_EQ(report["applied"], 1) << report.dump();
    report = ok_json(b, {"import-changes", (dir / "a2.json").string(), "--json"});
    EXPECT_EQ(report["applied"], 1) << report.dump();

    const json conflicts_a = ok_json(a, {"conflicts", "--json"});
    const json conflicts_b = ok_json(b, {"conflicts", "--json"});
    ASSERT_EQ(conflicts_a.size(), 1u) << conflicts_a.dump(2);
    EXPECT_EQ(conflicts_a, conflicts_b) << "the replicas disagree on the conflict";
    const json& conflict = conflicts_a[0];
    EXPECT_EQ(conflict["record"], id);
    EXPECT_EQ(conflict["field"], "address");
    ASSERT_EQ(conflict["heads"].size(), 2u);
    std::vector<std::string> values{conflict["heads"][0]["value"], conflict["heads"][1]["value"]};
    std::sort(values.begin(), values.end());
    EXPECT_EQ(values, (std::vector<std::string>{address_a, address_b}));
    // The value shown by `case show` is the first head, the same on both.
    const json shown_a = ok_json(a, {"case", "show", id, "--json"});
    const json shown_b = ok_json(b, {"case", "show", id, "--json"});
    EXPECT_EQ(shown_a["fields"]["address"], conflict["heads"][0]["value"]);
    EXPECT_EQ(shown_b["fields"]["address"], conflict["heads"][0]["value"]);
    EXPECT_TRUE(shown_a["conflicts"].contains("address")) << shown_a.dump(2);

    // One person settles it on b; the resolution travels to a.
    const std::string settled = "Weseler Straße 12a, 47169 Duisburg";
    ok(b, {"resolve", id, "address", settled});
    report = exchange(b, a, dir / "b3.json");
    EXPECT_EQ(report["applied"], 1) << report.dump();

    EXPECT_EQ(ok_json(a, {"conflicts", "--json"}), json::array());
    EXPECT_EQ(ok_json(b, {"conflicts", "--json"}), json::array());
    const std::string final_a = ok(a, {"case", "show", id, "--json"});
    const std::string final_b = ok(b, {"case", "show", id, "--json"});
    EXPECT_EQ(final_a, final_b) << "the replicas did not converge";
    const json final = parse_json(final_a, "case show");
    EXPECT_EQ(final["fields"]["address"], settled);
    EXPECT_EQ(final["fields"]["name"], kName);
    EXPECT_EQ(final["conflicts"], json::object());

    // Confidential values never reach the disk or the change files in clear.
    for (const fs::path& file : {a / "replica.db", b / "replica.db", dir / "a1.json", dir / "b3.json"}) {
        const std::string bytes = kim::test::read_file(file);
        for (const std::string& secret : {std::string("Özdemir"), std::string("Wohnungssuche"), std::string("Weseler")}) {
            EXPECT_EQ(bytes.find(secret), std::string::npos) << "'" << secret << "' in clear in " << file;
        }
    }
}

TEST(cli_scenario, erasure_travels_to_the_other_replica) {
    TempDir dir("kimcli");
    fs::path a, b;
    init_site_pair(dir.path(), a, b);
    const std::string keep = new_id(a, {"case", "new", "name=Ayşe Yılmaz", "phase=planning"});
    const std::string gone = new_id(a, {"case", "new", "name=Björn Köhler", "phase=intake"});
    const std::string note = new_id(a, {"add", "contact", "--case", gone, "text=Hausbesuch bei Familie Köhler"});
    ok(a, {"export-changes", "--out", (dir / "before.json").string()});
    ok(b, {"import-changes", (dir / "before.json").string()});

    ok(a, {"erase", gone.substr(0, 8), "--yes"});
    const json erased = ok_json(a, {"case", "show", gone, "--json"});
    EXPECT_EQ(erased["erased"], true);
    EXPECT_EQ(erased["fields"], json::object()) << "an erased case still shows fields";
    EXPECT_EQ(erased["records"], json::array()) << "an erased case still shows its contacts";
    const json listed = ok_json(a, {"case", "list", "--json"});
    ASSERT_EQ(listed.size(), 1u) << listed.dump(2);
    EXPECT_EQ(listed[0]["id"], keep);

    // The erased case's ciphertexts are gone from the next change file.
    const json old_file = parse_json(kim::test::read_file(dir / "before.json"), "change file");
    std::vector<std::string> old_ciphertexts;
    for (const auto& change : old_file["changes"]) {
        if (change["record"] != gone && change["record"] != note) continue;
        for (const auto& op : change["ops"]) {
            if (op.contains("ct")) old_ciphertexts.push_back(op["ct"]);
        }
    }
    ASSERT_GE(old_ciphertexts.size(), 3u) << "expected _key, name and the contact text as ciphertexts";
    ok(a, {"export-changes", "--out", (dir / "after.json").string()});
    const std::string after = kim::test::read_file(dir / "after.json");
    for (const auto& ct : old_ciphertexts) EXPECT_EQ(after.find(ct), std::string::npos) << "ciphertext of an erased case exported";

    const json report = ok_json(b, {"import-changes", (dir / "after.json").string(), "--json"});
    EXPECT_EQ(report["applied"], 1) << report.dump();
    const json on_b = ok_json(b, {"case", "show", gone.substr(0, 10), "--json"});
    EXPECT_EQ(on_b["erased"], true) << on_b.dump(2);
    EXPECT_EQ(on_b["fields"], json::object());
    const json note_on_b = ok_json(b, {"record", "show", note, "--json"});
    EXPECT_EQ(note_on_b["erased"], true) << "the case's contact survived its erasure: " << note_on_b.dump(2);
    EXPECT_EQ(note_on_b["fields"], json::object());
    const json listed_b = ok_json(b, {"case", "list", "--json"});
    ASSERT_EQ(listed_b.size(), 1u) << listed_b.dump(2);
    EXPECT_EQ(listed_b[0]["id"], keep);
    EXPECT_EQ(listed_b[0]["fields"]["name"], "Ayşe Yılmaz");
}

// ---------------------------------------------------------------------------
// One site shared by the read and error tests, which leave it as it was.
// Replica a holds a case with a contact and a goal; b has joined the site but
// imported nothing, so every change file it rejects below is rejected for its
// own fault (the genuine file would apply). Both are made on first use, once
// per process: ctest runs each test in a process of its own.

class cli_site : public ::testing::Test {
protected:
    void SetUp() override { need_a(); }

    static void need_a() {
        if (a_ready_) return;
        dir_ = std::make_unique<TempDir>("kimcli");
        a_ = dir_->path() / "hamborn-a";
        b_ = dir_->path() / "hamborn-b";
        ok(a_, {"init", "--site", "hamborn", "--replica", "hamborn-a"});
        case_id_ = new_id(a_, {"case", "new", "name=" + kName, "address=" + kAddress, "phase=assessment", "need.wohnen=3",
                               "need.deutsch=1", "sex=male"});
        contact_id_ = new_id(a_, {"add", "contact", "--case", case_id_, "text=" + kContactText, "mode=phone"});
        goal_id_ = new_id(a_, {"add", "goal", "--case", case_id_, "text=Eigene Wohnung finden", "field=wohnen", "status=open"});
        ok(a_, {"export-changes", "--out", changes_a().string()});
        ok(a_, {"key", "export", "--out", key_bundle().string()});
        a_before_ = snapshot(a_, case_id_);
        a_ready_ = true;
    }
    static void need_b() {
        need_a();
        if (b_ready_) return;
        ok(b_, {"init", "--site", "hamborn", "--replica", "hamborn-b", "--join", key_bundle().string()});
        b_before_ = snapshot(b_);
        b_ready_ = true;
    }

    static fs::path changes_a() { return dir_->path() / "hamborn-a.changes.json"; }
    static fs::path key_bundle() { return dir_->path() / "hamborn.key"; }
    static fs::path scratch(const std::string& name) { return dir_->path() / name; }

    static void expect_a_unchanged(const std::string& what) { expect_unchanged(a_, a_before_, case_id_, what); }
    static void expect_b_unchanged(const std::string& what) { expect_unchanged(b_, b_before_, "", what); }

    static inline std::unique_ptr<TempDir> dir_;
    static inline bool a_ready_ = false, b_ready_ = false;
    static inline fs::path a_, b_;
    static inline std::string case_id_, contact_id_, goal_id_;
    static inline Snapshot a_before_, b_before_;
};

// The import errors, tried on replica b.
class cli_import : public cli_site {
protected:
    void SetUp() override { need_b(); }
};

TEST_F(cli_site, every_read_command_prints_valid_json) {
    const json status = ok_json(a_, {"status", "--json"});
    EXPECT_EQ(status["site"], "hamborn");
    EXPECT_EQ(status["replica"], "hamborn-a");
    EXPECT_EQ(status["own_changes"], 3);
    EXPECT_EQ(status["open_cases"], 1);
    EXPECT_EQ(status["cases"], 1);
    EXPECT_EQ(status["conflicts"], 0);
    EXPECT_EQ(status["public_key"], trimmed(ok(a_, {"pubkey"})));
    const json pubkey = ok_json(a_, {"pubkey", "--json"});
    EXPECT_EQ(pubkey["public_key"], status["public_key"]);
    EXPECT_EQ(pubkey["replica"], "hamborn-a");
    EXPECT_EQ(pubkey["site"], "hamborn");

    const json shown = ok_json(a_, {"case", "show", case_id_, "--json"});
    EXPECT_EQ(shown["fields"]["name"], kName);
    EXPECT_EQ(shown["fields"]["need.wohnen"], "3");
    ASSERT_EQ(shown["records"].size(), 2u) << shown.dump(2);

    const json listed = ok_json(a_, {"case", "list", "--json"});
    ASSERT_TRUE(listed.is_array());
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["id"], case_id_);
    EXPECT_EQ(listed[0]["fields"]["name"], kName);
    EXPECT_EQ(ok_json(a_, {"case", "list", "--need", "wohnen", "--phase", "assessment", "--json"}).size(), 1u);
    EXPECT_EQ(ok_json(a_, {"case", "list", "--phase", "closed", "--json"}), json::array());

    EXPECT_EQ(ok_json(a_, {"conflicts", "--json"}), json::array());

    const json goal = ok_json(a_, {"record", "show", goal_id_.substr(0, 8), "--json"});
    EXPECT_EQ(goal["id"], goal_id_);
    EXPECT_EQ(goal["kind"], "goal");
    EXPECT_EQ(goal["case"], case_id_);
    EXPECT_EQ(goal["fields"]["text"], "Eigene Wohnung finden");
    EXPECT_EQ(goal["fields"]["field"], "wohnen");

    // Importing its own changes again: all duplicates, nothing applied.
    const json report = ok_json(a_, {"import-changes", changes_a().string(), "--json"});
    EXPECT_EQ(report["received"], 3) << report.dump();
    EXPECT_EQ(report["duplicates"], 3) << report.dump();
    EXPECT_EQ(report["applied"], 0) << report.dump();
    EXPECT_TRUE(report["notes"].is_array());

    expect_a_unchanged("reading with --json");
}

TEST_F(cli_site, human_output_shows_the_values) {
    const std::string text = ok(a_, {"case", "show", case_id_});
    EXPECT_NE(text.find(kName), std::string::npos) << text;
    EXPECT_NE(text.find(kContactText), std::string::npos) << text;
    const std::string list = ok(a_, {"case", "list"});
    EXPECT_NE(list.find(case_id_.substr(0, 8)), std::string::npos) << list;
    EXPECT_NE(list.find(kName), std::string::npos) << list;
}

TEST_F(cli_site, invalid_input_is_refused_and_changes_nothing) {
    // Unknown fields, for a case and for its needs.
    expect_kim_error(kim_at(a_, {"case", "set", case_id_, "lieblingsfarbe=blau"}), 2, "lieblingsfarbe", "unknown field");
    expect_kim_error(kim_at(a_, {"case", "set", case_id_, "need.fliegen=1"}), 2, "need.fliegen", "unknown need");
    // Values outside a statistical list; a new case with one bad value is not created at all.
    expect_kim_error(kim_at(a_, {"case", "set", case_id_, "phase=beendet"}), 2, "'phase'", "phase outside its list");
    expect_kim_error(kim_at(a_, {"case", "new", "name=Fatma Güneş", "need.wohnen=7"}), 2, "need.wohnen",
                     "new case with a need level outside 0-3");
    // Arguments not of the form field=value.
    expect_kim_error(kim_at(a_, {"case", "set", case_id_, "nameJürgen"}), 2, "field=value", "assignment without '='");
    expect_kim_error(kim_at(a_, {"add", "contact", "--case", case_id_, "=Anruf"}), 2, "field=value", "assignment without a field");
    // Ids: too short a prefix, and an id this replica does not hold.
    expect_kim_error(kim_at(a_, {"case", "show", case_id_.substr(0, 3)}), 2, "4", "a 3-character prefix");
    expect_kim_error(kim_at(a_, {"case", "set", "ffffffff-ffff-4fff-bfff-ffffffffffff", "phase=closed"}), 3, "ffffffff",
                     "an unknown id");
    expect_a_unchanged("invalid input");
}

TEST_F(cli_site, wrong_passphrase_is_refused_and_never_printed) {
    Env wrong = default_env();
    wrong["KIM_PASSPHRASE"] = kWrongPassphrase;
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"status"}, {"case", "set", case_id_, "phase=closed"}}) {
        const auto r = kim_at(a_, args, wrong);
        expect_kim_error(r, 4, "passphrase", "kim " + args.front() + " with a wrong passphrase");
        for (const std::string& secret : {kWrongPassphrase, kPassphrase}) {
            EXPECT_EQ(r.out.find(secret), std::string::npos) << "a passphrase on stdout";
            EXPECT_EQ(r.err.find(secret), std::string::npos) << "a passphrase on stderr";
        }
    }
    // A key bundle opened with the wrong passphrase: no replica is created.
    Env wrong_bundle = default_env();
    wrong_bundle["KIM_BUNDLE_PASSPHRASE"] = kWrongPassphrase;
    const fs::path joining = scratch("hamborn-c");
    const auto join = kim_at(joining, {"init", "--site", "hamborn", "--replica", "hamborn-c", "--join", key_bundle().string()},
                             wrong_bundle);
    expect_kim_error(join, 4, "passphrase", "joining with a wrong bundle passphrase");
    for (const std::string& secret : {kWrongPassphrase, kPassphrase, kBundlePassphrase}) {
        EXPECT_EQ(join.out.find(secret), std::string::npos) << "a passphrase on stdout";
        EXPECT_EQ(join.err.find(secret), std::string::npos) << "a passphrase on stderr";
    }
    EXPECT_FALSE(fs::exists(joining / "replica.db")) << "a replica was created from a bundle that did not open";

    // No passphrase and no terminal to type it: refused at once, not waiting.
    Env none = default_env();
    none["KIM_PASSPHRASE"] = "";  // empty counts as unset
    expect_kim_error(kim_at(a_, {"status"}, none), 2, "KIM_PASSPHRASE", "no passphrase");
    expect_a_unchanged("wrong or missing passphrase");
}

TEST_F(cli_site, passphrase_never_printed_on_success) {
    const auto r = kim_at(a_, {"status"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(kPassphrase), std::string::npos);
    EXPECT_EQ(r.err.find(kPassphrase), std::string::npos);
    for (const auto& entry : fs::directory_iterator(a_)) {
        EXPECT_EQ(kim::test::read_file(entry.path()).find(kPassphrase), std::string::npos) << "passphrase stored in " << entry.path();
    }
    EXPECT_EQ(kim::test::read_file(key_bundle()).find(kBundlePassphrase), std::string::npos)
        << "bundle passphrase stored in the key bundle";
}

TEST_F(cli_site, contact_is_append_only) {
    expect_kim_error(kim_at(a_, {"record", "set", contact_id_, "text=x"}), 6, "append-only", "editing a contact");
    expect_a_unchanged("editing a contact");
}

TEST_F(cli_site, erase_without_yes_and_without_terminal_refuses) {
    expect_kim_error(kim_at(a_, {"erase", case_id_}), 2, "--yes", "erase without --yes");
    expect_a_unchanged("erase without --yes");
}

TEST_F(cli_import, import_of_non_json_file_is_refused) {
    const fs::path file = scratch("not-json.json");
    write_file(file, "Dies ist keine Änderungsdatei.\n");
    expect_kim_error(kim_at(b_, {"import-changes", file.string()}), 2, file.string(), "importing a non-JSON file");
    expect_b_unchanged("importing a non-JSON file");
}

TEST_F(cli_import, import_of_truncated_file_is_refused) {
    const std::string whole = kim::test::read_file(changes_a());
    ASSERT_GT(whole.size(), 200u);
    const fs::path file = scratch("truncated.json");
    write_file(file, whole.substr(0, whole.size() / 2));
    expect_kim_error(kim_at(b_, {"import-changes", file.string()}), 2, "JSON", "importing a truncated file");
    expect_b_unchanged("importing a truncated file");
}

TEST_F(cli_import, import_of_missing_file_is_not_found) {
    expect_kim_error(kim_at(b_, {"import-changes", scratch("nirgends.json").string()}), 3, "nirgends.json", "importing no file");
    expect_b_unchanged("importing no file");
}

TEST_F(cli_import, import_from_another_site_is_refused) {
    // A genuine change file of another site (Hochfeld), with one case.
    const fs::path hochfeld = scratch("hochfeld-a");
    const fs::path file = scratch("hochfeld-a.changes.json");
    ok(hochfeld, {"init", "--site", "hochfeld", "--replica", "hochfeld-a"});
    new_id(hochfeld, {"case", "new", "name=Zoë Schäfer"});
    ok(hochfeld, {"export-changes", "--out", file.string()});

    const auto r = kim_at(b_, {"import-changes", file.string()});
    EXPECT_NE(r.exit_code, 0) << r.out;
    expect_kim_error(r, r.exit_code, "hochfeld", "importing another site's changes");
    expect_b_unchanged("importing another site's changes");
}

TEST_F(cli_import, import_of_tampered_signature_is_an_integrity_error) {
    const std::string genuine = kim::test::read_file(changes_a());
    const std::string tampered = tamper_first_signature(genuine);
    ASSERT_NE(tampered, genuine);
    ASSERT_EQ(tampered.size(), genuine.size());
    parse_json(tampered, "the tampered file");  // still well-formed, so kim must check the signature itself
    const fs::path file = scratch("tampered.json");
    write_file(file, tampered);
    expect_kim_error(kim_at(b_, {"import-changes", file.string()}), 5, "signature", "importing a tampered file");
    expect_b_unchanged("importing a tampered file");
}

// `kim config`, `kim sync` and `kim status` against the real kim-server.
TEST(cli_sync, config_sync_and_status_through_the_server) {
    TempDir dir;
    kim::test::ServerProcess server(KIM_SERVER_BINARY, dir / "server");
    server.start();
    fs::path a, b;
    init_site_pair(dir.path(), a, b);
    for (const auto& [home, id] : {std::pair{a, "hamborn-a"}, std::pair{b, "hamborn-b"}}) {
        server.enrol_replica(id, "hamborn", trimmed(ok(home, {"pubkey"})));
        ok(home, {"config", "server", server.url()});
    }
    EXPECT_NE(ok(a, {"config"}).find(server.url()), std::string::npos);

    const std::string id = new_id(a, {"case", "new", "name=" + kName, "need.wohnen=2"});
    json status = ok_json(a, {"status", "--json"});
    EXPECT_EQ(status.at("sync").at("outbox"), 1);
    EXPECT_EQ(status.at("sync").at("reachable"), true);
    EXPECT_TRUE(status.at("sync").at("last_sync").is_null());

    const std::string pushed = ok(a, {"sync"});
    EXPECT_NE(pushed.find("pushed 1"), std::string::npos) << pushed;
    status = ok_json(a, {"status", "--json"});
    EXPECT_EQ(status.at("sync").at("outbox"), 0);
    EXPECT_FALSE(status.at("sync").at("last_sync").is_null());

    ok(b, {"sync"});
    EXPECT_NE(ok(b, {"case", "show", id}).find(kName), std::string::npos);
    EXPECT_GT(ok_json(b, {"status", "--json"}).at("sync").at("pull_cursor").get<int>(), 0);

    // The server goes away: a clear failure, exit 1, and the edit waits in the outbox.
    ok(b, {"case", "set", id, "phase=planning"});
    server.stop();
    expect_kim_error(kim_at(b, {"sync"}), 1, "outbox", "syncing while the server is down");
    status = ok_json(b, {"status", "--json"});
    EXPECT_EQ(status.at("sync").at("outbox"), 1);
    EXPECT_EQ(status.at("sync").at("reachable"), false);
    server.start();
    ok(b, {"sync", "--server", server.url()});
    ok(a, {"sync", "--server", server.url()});
    EXPECT_EQ(ok_json(a, {"case", "show", id, "--json"}), ok_json(b, {"case", "show", id, "--json"}));
}

TEST(cli_sync, refusals_have_their_own_exit_codes) {
    TempDir dir;
    kim::test::ServerProcess server(KIM_SERVER_BINARY, dir / "server");
    server.start();
    const fs::path a = dir / "hamborn-a";
    ok(a, {"init", "--site", "hamborn", "--replica", "hamborn-a"});
    new_id(a, {"case", "new", "name=" + kName});
    // Not enrolled: the server refuses the replica (state), with the line the administrator needs.
    expect_kim_error(kim_at(a, {"sync", "--server", server.url()}), 6, "replica add", "syncing before enrolment");
    // A URL kim cannot use: bad input, and nothing changes.
    expect_kim_error(kim_at(a, {"config", "server", "ftp://example.org"}), 2, "", "an ftp URL");
    expect_kim_error(kim_at(a, {"config", "server", "http://192.0.2.7:8080"}), 2, "https", "plain http to another computer");
    EXPECT_EQ(ok_json(a, {"status", "--json"}).at("sync").at("outbox"), 1);
}

// ---------------------------------------------------------------------------
// Privacy: the retention period, `kim retention run` and `kim export`.

TEST(cli_privacy, config_retention_is_stored_shown_and_checked) {
    TempDir dir("kimcli");
    const fs::path a = dir / "hamborn-a";
    ok(a, {"init", "--site", "hamborn", "--replica", "hamborn-a"});
    EXPECT_EQ(ok_json(a, {"config", "--json"}).at("retention_years"), 3) << "three years by default";
    EXPECT_EQ(ok_json(a, {"status", "--json"}).at("retention_years"), 3);
    const std::string said = ok(a, {"config", "retention", "5"});
    EXPECT_NE(said.find("every replica"), std::string::npos) << said;
    EXPECT_EQ(ok_json(a, {"config", "--json"}).at("retention_years"), 5);
    EXPECT_NE(ok(a, {"config"}).find("5 years after closure"), std::string::npos);
    EXPECT_NE(ok(a, {"config", "retention"}).find("erased 5 years after closure"), std::string::npos)
        << "without a value the period in force is shown";
    EXPECT_EQ(ok_json(a, {"status", "--json"}).at("retention_years"), 5);
    for (const char* bad : {"101", "drei", "2.5"}) {
        expect_kim_error(kim_at(a, {"config", "retention", bad}), 2, "", std::string("retention ") + bad);
    }
    EXPECT_EQ(ok_json(a, {"config", "--json"}).at("retention_years"), 5) << "a refused value changes nothing";
}

TEST(cli_privacy, retention_run_lists_with_dry_run_then_erases_closed_cases) {
    TempDir dir("kimcli");
    const fs::path a = dir / "hamborn-a";
    ok(a, {"init", "--site", "hamborn", "--replica", "hamborn-a"});
    const std::string closed = new_id(a, {"case", "new", "name=" + kName});
    const std::string note = new_id(a, {"add", "contact", "--case", closed, "text=" + kContactText});
    ok(a, {"case", "set", closed, "phase=closed", "closure_reason=goals_met"});
    const std::string open = new_id(a, {"case", "new", "name=Zoë Schäfer", "phase=monitoring"});

    const std::string none = ok(a, {"retention", "run"});
    EXPECT_NE(none.find("nothing erased"), std::string::npos) << "closed just now, three years to go: " << none;

    ok(a, {"config", "retention", "0"});  // due as soon as closed
    const Snapshot before = snapshot(a, closed);
    const std::string dry = ok(a, {"retention", "run", "--dry-run"});
    EXPECT_NE(dry.find("Would erase 1 case"), std::string::npos) << dry;
    EXPECT_NE(dry.find(closed), std::string::npos) << dry;
    EXPECT_EQ(dry.find(open), std::string::npos) << dry;
    const json dry_json = ok_json(a, {"retention", "run", "--dry-run", "--json"});
    EXPECT_EQ(dry_json.at("dry_run"), true);
    ASSERT_EQ(dry_json.at("cases").size(), 1u) << dry_json.dump(2);
    EXPECT_EQ(dry_json.at("cases")[0].at("case"), closed);
    EXPECT_EQ(dry_json.at("erased"), 0);
    expect_unchanged(a, before, closed, "retention run --dry-run");

    const std::string ran = ok(a, {"retention", "run"});
    EXPECT_NE(ran.find("Erased 1 case"), std::string::npos) << ran;
    EXPECT_NE(ran.find(closed), std::string::npos) << ran;
    EXPECT_EQ(ok_json(a, {"case", "show", closed, "--json"}).at("erased"), true);
    EXPECT_EQ(ok_json(a, {"record", "show", note, "--json"}).at("erased"), true);
    EXPECT_EQ(ok_json(a, {"case", "show", open, "--json"}).at("erased"), false);
    const json again = ok_json(a, {"retention", "run", "--json"});
    EXPECT_EQ(again.at("cases"), json::array()) << again.dump(2);
    for (const auto& entry : fs::recursive_directory_iterator(a)) {
        if (!entry.is_regular_file()) continue;
        EXPECT_EQ(kim::test::read_file(entry.path()).find(kName), std::string::npos) << entry.path();
    }
}

TEST(cli_privacy, export_writes_a_private_file_and_overwrites_only_with_force) {
    TempDir dir("kimcli");
    const fs::path a = dir / "hamborn-a";
    ok(a, {"init", "--site", "hamborn", "--replica", "hamborn-a"});
    const std::string id = new_id(a, {"case", "new", "name=" + kName, "address=" + kAddress, "need.wohnen=2"});
    const std::string note = new_id(a, {"add", "contact", "--case", id, "text=" + kContactText});
    const fs::path out = dir / "auskunft.json";

    const std::string said = ok(a, {"export", id.substr(0, 8), "--out", out.string()});
    EXPECT_NE(said.find("delete it"), std::string::npos) << said;
    EXPECT_EQ(fs::status(out).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    const json doc = parse_json(kim::test::read_file(out), "the export");
    EXPECT_EQ(doc.at("erased"), false);
    EXPECT_EQ(doc.at("case").at("id"), id);
    EXPECT_EQ(doc.at("case").at("fields").at("name"), kName);
    EXPECT_EQ(doc.at("case").at("fields").at("address"), kAddress);
    ASSERT_EQ(doc.at("records").size(), 1u);
    EXPECT_EQ(doc.at("records")[0].at("fields").at("text"), kContactText);
    EXPECT_EQ(doc.at("history").size(), 2u);

    // No overwrite without --force, before any passphrase is asked for.
    const std::string first = kim::test::read_file(out);
    expect_kim_error(kim_at(a, {"export", id, "--out", out.string()}), 6, "--force", "export over an existing file");
    EXPECT_EQ(kim::test::read_file(out), first);
    ok(a, {"case", "set", id, "phase=planning"});
    ok(a, {"export", id, "--out", out.string(), "--force"});
    EXPECT_EQ(parse_json(kim::test::read_file(out), "the export").at("case").at("fields").at("phase"), "planning");

    // Ids that name no case here.
    const fs::path nowhere = dir / "nichts.json";
    expect_kim_error(kim_at(a, {"export", "00000000-0000-4000-8000-000000000000", "--out", nowhere.string()}), 3,
                     "kim case list", "export of an unknown id");
    expect_kim_error(kim_at(a, {"export", note, "--out", nowhere.string()}), 2, "not a case", "export of a contact");
    EXPECT_FALSE(fs::exists(nowhere));

    // An erased case: ids and the erasure, nothing personal.
    ok(a, {"erase", id, "--yes"});
    ok(a, {"export", id, "--out", out.string(), "--force"});
    const std::string erased = kim::test::read_file(out);
    EXPECT_EQ(parse_json(erased, "the export").at("erased"), true);
    EXPECT_EQ(erased.find(kName), std::string::npos);
    EXPECT_EQ(erased.find("Weseler"), std::string::npos);
}

}  // namespace
