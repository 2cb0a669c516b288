// Attacks on the real kim-server (issue 6, docs/reliability.md "Attacks"),
// the ones that push_refusal_test, access_test and http_input_test leave
// open: an expired token, replay under another identity, forged signatures
// inside a batch, invalid UTF-8 in every part of a request, deep JSON and
// chunked bodies on the routes open to anyone, a million tiny changes in one
// push, many slow clients, hundreds of connections at once. After each the
// server must still run and answer, its log must hold exactly what it held,
// and a real replica must still sync through it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../client/replica_fixture.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/protocol.hpp"
#include "server_fixture.hpp"
#include "test_postgres.hpp"

namespace {

namespace fs = std::filesystem;
using kim::Change;
using kim::client::Replica;
using kim::test::Headers;
using kim::test::HttpResponse;
using kim::test::ProtocolClient;
using kim::test::ServerProcess;
using kim::test::TempDir;
using kim::test::http_request;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// --- what the server holds and uses ------------------------------------------

// The server's log as a whole: its length and the chain hash at its head,
// which covers every stored change (docs/wire-format.md "The server's chain").
struct LogState {
    std::int64_t changes = 0;
    std::string head;
    bool operator==(const LogState&) const = default;
};

std::ostream& operator<<(std::ostream& out, const LogState& s) {
    return out << s.changes << " changes, head " << (s.head.empty() ? "-" : s.head.substr(0, 16));
}

// Read beside the running server (WAL: a reader does not disturb the writer).
LogState log_state(const ServerProcess& server) {
    if (!server.postgres_uri().empty()) {
        const auto row = kim::test::postgres_rows(
            server.postgres_uri(),
            "SELECT count(*), coalesce((SELECT upper(encode(chain, 'hex')) FROM log ORDER BY server_seq DESC LIMIT 1), '') "
            "FROM log")[0];
        return LogState{std::stoll(row[0]), row[1]};
    }
    const fs::path file = server.data_dir() / "server.db";
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + file.string());
    }
    sqlite3_busy_timeout(db, 10'000);
    sqlite3_stmt* stmt = nullptr;
    const char* sql =
        "SELECT count(*), coalesce((SELECT hex(chain) FROM log ORDER BY server_seq DESC LIMIT 1), '') FROM log";
    LogState state;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        state.changes = sqlite3_column_int64(stmt, 0);
        state.head = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    } else {
        const std::string why = sqlite3_errmsg(db);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        throw std::runtime_error("cannot read the server's log: " + why);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return state;
}

// "VmHWM" (peak resident memory) or "VmRSS" of a process, in KiB.
long proc_status_kib(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    }
    throw std::runtime_error("no " + key + " in /proc/" + std::to_string(pid) + "/status");
}

std::size_t open_descriptors(pid_t pid) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
    return n;
}

// The server's descriptors once the connections of earlier requests have
// closed (the server lingers up to 2 s on each): the least seen over 0.5 s.
std::size_t quiet_descriptors(pid_t pid) {
    std::size_t least = open_descriptors(pid);
    for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_for(50ms);
        least = std::min(least, open_descriptors(pid));
    }
    return least;
}

// Running, and not a zombie left by a crash.
bool process_alive(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto close_paren = stat.rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < stat.size() && stat[close_paren + 2] != 'Z';
}

void expect_healthy(const ServerProcess& server) {
    ASSERT_TRUE(process_alive(server.pid())) << "kim-server died; its log:\n" << server.log();
    const HttpResponse r = http_request(server.port(), "GET", "/healthz", "", {}, 5'000);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("status"), "ok");
}

// A refusal the client can act on: the status, a JSON body (which also proves
// it is valid UTF-8: the parser checks) with the code and a message.
void expect_refusal(const HttpResponse& r, int status, const std::string& code, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    if (r.status == 0) return;
    json body;
    ASSERT_NO_THROW(body = json::parse(r.body)) << what << ": the answer is not valid JSON: " << r.body;
    EXPECT_EQ(body.value("error", ""), code) << what << ": " << r.body;
    EXPECT_FALSE(body.value("message", "").empty()) << what << ": " << r.body;
}

std::size_t env_count(const char* name, std::size_t fallback) {
    const char* text = std::getenv(name);
    return text && *text ? static_cast<std::size_t>(std::stoull(text)) : fallback;
}

// "[{},{},...]": n of the smallest JSON values that still cost the parser an allocation each.
std::string tiny_objects(std::size_t n) {
    std::string text = "[";
    text.reserve(3 * n + 2);
    for (std::size_t i = 0; i < n; ++i) text += i == 0 ? "{}" : ",{}";
    return text + "]";
}

// How long a plain (linear) parse takes in this build: the yardstick for the
// server's time, which runs the same code at the same optimisation.
double seconds_to_parse(const std::string& text) {
    const auto start = Clock::now();
    const json parsed = json::parse(text);
    EXPECT_TRUE(parsed.is_array());
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sets VmHWM back to the present VmRSS (Linux 4.0+), so that the peak of the
// server's start (Argon2id) does not hide what a request costs.
bool reset_peak_memory(pid_t pid) {
    std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

// Redzones, quarantine and shadow memory make the sanitizers' figures say
// nothing about the server's own needs.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool memory_is_measurable = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool memory_is_measurable = false;
#else
constexpr bool memory_is_measurable = true;
#endif
#else
constexpr bool memory_is_measurable = true;
#endif

// Two real replicas of one site (the kim library, as `kim sync` runs it):
// one writes a case and syncs, the other syncs and must see it.
class LegitimateSite {
public:
    LegitimateSite(const ServerProcess& server, const fs::path& dir, const std::string& site)
        : server_(server),
          writer_(kim::test::make_replica(dir / (site + "-w"), site, site + "-w")),
          reader_(kim::test::join_replica(writer_, dir / (site + "-r"), site + "-r")) {
        for (const auto& home : {dir / (site + "-w"), dir / (site + "-r")}) {
            const auto info = Replica::info(home);
            server_.enrol_replica(info.replica, info.site, info.public_key);
        }
    }

    void expect_sync_works() {
        const std::size_t before = reader_.list("case").size();
        writer_.create_case({{"name", "Synthetische Person " + std::to_string(++cases_)}, {"need.wohnen", "2"}});
        kim::client::SyncOptions options;
        options.server = server_.url();
        const auto pushed = kim::client::sync(writer_, options);
        EXPECT_TRUE(pushed.complete());
        EXPECT_EQ(pushed.outbox_left, 0u);
        const auto pulled = kim::client::sync(reader_, options);
        EXPECT_TRUE(pulled.complete());
        EXPECT_EQ(reader_.list("case").size(), before + 1) << "a legitimate replica no longer syncs";
    }

private:
    const ServerProcess& server_;
    Replica writer_;
    Replica reader_;
    int cases_ = 0;
};

// A server of its own, for the tests that measure its memory, descriptors
// and connections or need other options.
struct OwnServer {
    explicit OwnServer(const std::vector<std::string>& options = {}) : server(KIM_SERVER_BINARY, dir / "data") {
        server.start(options);
    }
    ProtocolClient enrolled(const std::string& id, const std::string& site) {
        ProtocolClient c(server.port(), id, site);
        server.enrol_replica(c.identity(), site, c.public_key_base64());
        c.authenticate();
        return c;
    }
    TempDir dir{"kimattack"};  // first: the server stops before its folder goes
    ServerProcess server;
};

// Attacker bytes as a failure message may show them.
std::string printable(const std::string& text) {
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
            out += c;
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        }
    }
    return out;
}

std::vector<Change> sealed_cases(ProtocolClient& c, int n) {
    std::vector<Change> batch;
    for (int i = 0; i < n; ++i) {
        batch.push_back(c.next_case_change());
        c.seal_and_advance(batch.back());
    }
    return batch;
}

std::string push_body_of(const std::vector<Change>& batch) {
    json changes = json::array();
    for (const auto& c : batch) changes.push_back(kim::change_to_json(c));
    return json{{"changes", changes}}.dump();
}

// --- the shared server ---------------------------------------------------------

class attack : public kim::test::ServerSuite {
public:
    static void SetUpTestSuite() {
        ServerSuite::SetUpTestSuite();
        replicas_dir_ = std::make_unique<TempDir>("kimattack");
        legit_ = std::make_unique<LegitimateSite>(server(), replicas_dir_->path(), "legit");
    }
    static void TearDownTestSuite() {
        legit_.reset();
        replicas_dir_.reset();
        ServerSuite::TearDownTestSuite();
    }

protected:
    // The batch was refused because of change `index` for `reason`; every
    // other change of it is reported as not stored.
    static void expect_batch_refused(const HttpResponse& r, std::size_t index, const std::string& reason) {
        ASSERT_EQ(r.status, 422) << r.body;
        const json results = r.json().at("results");
        ASSERT_GT(results.size(), index) << r.body;
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (i == index) {
                EXPECT_EQ(results[i].at("status"), "refused") << r.body;
                EXPECT_EQ(results[i].at("reason"), reason) << r.body;
            } else {
                EXPECT_EQ(results[i].at("status"), "not_stored") << r.body;
            }
        }
    }

    // After every attack: the server runs and answers, its log is what it
    // was, and then a legitimate replica still syncs.
    static void expect_unharmed(const LogState& before) {
        expect_healthy(server());
        EXPECT_EQ(log_state(server()), before) << "the attack changed the server's log";
        legit_->expect_sync_works();
        // Raw attacker bytes never reach the log unescaped (0xff is never UTF-8).
        EXPECT_EQ(server().log().find('\xff'), std::string::npos);
    }

    static ProtocolClient signed_in_user(const std::string& role) {
        ProtocolClient user(port(), unique(role), "");
        server().admin({"user", "add", user.identity(), "--role", role, "--pubkey", user.public_key_base64()});
        user.authenticate();
        return user;
    }

private:
    static std::unique_ptr<TempDir> replicas_dir_;
    static std::unique_ptr<LegitimateSite> legit_;
};

std::unique_ptr<TempDir> attack::replicas_dir_;
std::unique_ptr<LegitimateSite> attack::legit_;

TEST_F(attack, another_replicas_batch_replayed_under_a_second_identity_is_refused) {
    ProtocolClient a = enrolled("hamborn-a", "site-replay-other");
    ProtocolClient b = enrolled("hamborn-b", "site-replay-other");
    ProtocolClient elsewhere = enrolled("hochfeld-a", "site-replay-elsewhere");
    const std::vector<Change> batch = sealed_cases(a, 3);
    ASSERT_EQ(a.push(batch).status, 200);
    const LogState before = log_state(server());

    // b (same site) and a replica of another site send a's genuine, signed
    // batch byte for byte: every change is refused as not theirs.
    for (ProtocolClient* replayer : {&b, &elsewhere}) {
        const HttpResponse r = replayer->push_body(push_body_of(batch));
        ASSERT_EQ(r.status, 422) << replayer->identity() << ": " << r.body;
        const json results = r.json().at("results");
        ASSERT_EQ(results.size(), 3u);
        for (const auto& result : results) {
            EXPECT_EQ(result.at("status"), "refused") << r.body;
            EXPECT_EQ(result.at("reason"), "wrong_origin") << r.body;
        }
    }
    // Each change once, as a's; b's own chain is untouched and starts at 1.
    ProtocolClient peer = enrolled("peer", "site-replay-other");
    const auto seen = peer.pull_all();
    ASSERT_EQ(seen.size(), 3u);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].at("origin"), a.identity());
        EXPECT_EQ(seen[i].at("seq"), i + 1);
    }
    expect_unharmed(before);
    Change own = b.next_case_change();
    b.seal_and_advance(own);
    const HttpResponse r = b.push({own});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("results")[0].at("status"), "accepted");
}

TEST_F(attack, forged_signatures_anywhere_in_a_batch_store_nothing) {
    ProtocolClient a = enrolled("hamborn-a", "site-forged");
    const std::vector<Change> batch = sealed_cases(a, 3);
    const LogState before = log_state(server());

    // One bit of the last change's signature flipped.
    json flipped = json::parse(push_body_of(batch));
    flipped["changes"][2]["sig"] = kim::test::flip_base64(flipped["changes"][2]["sig"].get<std::string>(), 17);
    expect_batch_refused(a.push_body(flipped.dump()), 2, "bad_signature");

    // The genuine signature of change 1 pasted onto change 2.
    json pasted = json::parse(push_body_of(batch));
    pasted["changes"][1]["sig"] = pasted["changes"][0]["sig"];
    expect_batch_refused(a.push_body(pasted.dump()), 1, "bad_signature");

    // Not a signature at all: too short, not base64.
    for (const std::string& sig : {std::string("AAAA"), std::string("!!not base64!!"), std::string()}) {
        json broken = json::parse(push_body_of(batch));
        broken["changes"][0]["sig"] = sig;
        expect_batch_refused(a.push_body(broken.dump()), 0, "malformed");
    }
    expect_unharmed(before);
    // The genuine batch is still accepted whole: the refusals left no trace.
    const HttpResponse ok = a.push(batch);
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto answer = ok.json();  // held: a range over a member of a temporary would dangle
    for (const auto& result : answer.at("results")) EXPECT_EQ(result.at("status"), "accepted");
}

// Byte sequences that are not UTF-8 (RFC 3629): a stray continuation byte,
// bytes never used, an overlong '/', a UTF-16 surrogate, a code point past
// U+10FFFF, a sequence cut short.
const std::vector<std::pair<std::string, std::string>>& invalid_utf8() {
    static const std::vector<std::pair<std::string, std::string>> sequences{
        {"continuation", "\x80"},         {"ff", "\xff\xfe"},
        {"overlong", "\xc0\xaf"},         {"surrogate", "\xed\xa0\x80"},
        {"beyond", "\xf4\x90\x80\x80"},   {"cut short", "\xe2\x82"},
        {"latin-1", "Stra\xdf" "e"}};
    return sequences;
}

TEST_F(attack, invalid_utf8_in_a_json_body_is_a_400_and_stores_nothing) {
    ProtocolClient a = enrolled("hamborn-a", "site-utf8-body");
    const LogState before = log_state(server());
    Change c = a.next_case_change("intake");
    a.seal_and_advance(c);
    const std::string body = push_body_of({c});
    // Each place of an otherwise well-formed, signed change.
    const std::vector<std::string> places{"\"intake\"", "\"phase\"", "\"" + c.record + "\"", "\"" + a.identity() + "\"",
                                          "\"case\"", "\"changes\""};
    for (const auto& [name, bad] : invalid_utf8()) {
        for (const std::string& place : places) {
            std::string forged = body;
            const auto at = forged.find(place);
            ASSERT_NE(at, std::string::npos) << place;
            forged.insert(at + place.size() - 1, bad);  // inside the string, before its closing quote
            expect_refusal(a.push_body(forged), 400, "bad_request", name + " in " + place);
        }
    }
    // A lone UTF-16 surrogate in an escape decodes to no valid UTF-8 either.
    std::string escaped = body;
    escaped.insert(escaped.find("\"intake\"") + 7, "\\udc80");
    expect_refusal(a.push_body(escaped), 400, "bad_request", "escaped lone surrogate");
    // And in the optional introduction.
    json with_intro = json::parse(body);
    with_intro["introduction"] = {{"replica", "X"}, {"public_key", "AAAA"}, {"mac", "AAAA"}};
    std::string intro = with_intro.dump();
    intro.insert(intro.find("\"X\"") + 1, "\xff");
    expect_refusal(a.push_body(intro), 400, "bad_request", "invalid UTF-8 in the introduction");

    // The routes open to anyone, and the dashboard's sign-in.
    for (const auto& [name, bad] : invalid_utf8()) {
        const std::string identity = "hamborn" + bad;
        expect_refusal(http_request(port(), "POST", "/v1/auth/challenge", "{\"identity\": \"" + identity + "\"}"), 400,
                       "bad_request", name + " in a challenge request");
        expect_refusal(http_request(port(), "POST", "/v1/auth/token",
                                    "{\"identity\": \"" + identity + "\", \"challenge\": \"AAAA\", \"signature\": \"AAAA\"}"),
                       400, "bad_request", name + " in a token request");
        expect_refusal(http_request(port(), "POST", "/v1/session",
                                    "{\"name\": \"lagebild\", \"password\": \"geheim" + bad + "\"}"),
                       400, "bad_request", name + " in a sign-in");
    }
    expect_unharmed(before);
    ASSERT_EQ(a.push({c}).status, 200);  // the change itself, without the bad bytes: the first of its origin
}

TEST_F(attack, invalid_utf8_in_the_request_line_is_a_4xx) {
    ProtocolClient a = enrolled("hamborn-a", "site-utf8-url");
    const ProtocolClient coordinator = signed_in_user("coordinator");
    const ProtocolClient auditor = signed_in_user("auditor");
    const LogState before = log_state(server());
    const Headers as_replica{{"Authorization", "Bearer " + a.token()}};
    const Headers as_coordinator{{"Authorization", "Bearer " + coordinator.token()}};
    const Headers as_auditor{{"Authorization", "Bearer " + auditor.token()}};
    struct Case {
        std::string target;
        Headers headers;
        int status;
        std::string code;
    };
    std::vector<Case> cases;
    for (const auto& [name, bad] : invalid_utf8()) {
        std::string escaped;  // the same bytes %-encoded
        for (const char ch : bad) {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(ch));
            escaped += hex;
        }
        cases.push_back({"/v1/pu" + bad + "ll", {}, 404, "not_found"});
        cases.push_back({"/v1/" + escaped, {}, 404, "not_found"});
        cases.push_back({"/v" + bad + "1/push", {}, 404, "not_found"});
        cases.push_back({"/v1/pull?since=" + bad, as_replica, 400, "bad_request"});
        cases.push_back({"/v1/pull?since=" + escaped, as_replica, 400, "bad_request"});
        cases.push_back({"/v1/pull?" + bad + "=1", as_replica, 400, "bad_request"});
        cases.push_back({"/v1/stats?by=" + escaped, as_coordinator, 400, "bad_request"});
        cases.push_back({"/v1/stats?by=phase&site=" + escaped, as_coordinator, 400, "bad_request"});
        cases.push_back({"/v1/stats?" + escaped + "=1", as_coordinator, 400, "bad_request"});
        cases.push_back({"/v1/audit/log?since=" + escaped, as_auditor, 400, "bad_request"});
    }
    for (const auto& c : cases) {
        expect_refusal(http_request(port(), "GET", c.target, "", c.headers), c.status, c.code,
                       printable(c.target));
    }
    // A method that is not a token: the request line does not parse.
    expect_refusal(http_request(port(), "G\xff" "T", "/healthz"), 400, "bad_request", "method");
    expect_unharmed(before);
}

TEST_F(attack, invalid_utf8_in_headers_is_a_4xx) {
    ProtocolClient a = enrolled("hamborn-a", "site-utf8-header");
    const LogState before = log_state(server());
    Change c = a.next_case_change();
    a.seal_and_advance(c);
    const std::string body = push_body_of({c});
    for (const auto& [name, bad] : invalid_utf8()) {
        // A token with bad bytes, after the scheme or in it: unauthenticated.
        for (const std::string& authorization : {"Bearer " + bad, "Bearer " + a.token() + bad, bad + "Bearer " + a.token(),
                                                 "Bearer kim1." + bad + "." + bad}) {
            expect_refusal(http_request(port(), "POST", "/v1/push", body, {{"Authorization", authorization}}), 401,
                           "unauthenticated", name + " in Authorization");
            expect_refusal(http_request(port(), "GET", "/v1/pull?since=0", "", {{"Authorization", authorization}}), 401,
                           "unauthenticated", name + " in Authorization (pull)");
        }
        // A session cookie with bad bytes: no session.
        for (const char* target : {"/v1/session", "/v1/stats?by=phase"}) {
            expect_refusal(http_request(port(), "GET", target, "", {{"Cookie", "kim_session=" + bad}}), 401,
                           "unauthenticated", name + " in Cookie");
        }
        // A header name with bad bytes: not HTTP.
        expect_refusal(http_request(port(), "GET", "/healthz", "", {{"X-" + bad, "1"}}), 400, "bad_request",
                       name + " in a header name");
        // Headers the server does not use are not looked at: the request is answered as usual.
        const HttpResponse ignored = http_request(port(), "GET", "/healthz", "", {{"X-Note", bad}, {"User-Agent", bad}});
        EXPECT_EQ(ignored.status, 200) << name << ": " << ignored.body;
    }
    // A bad token on a push is refused from the header, before its 10 MiB body.
    const std::string head = "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n"
                             "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{\"changes\": [";
    const auto start = Clock::now();
    const HttpResponse early = kim::test::parse_response(kim::test::raw_exchange(port(), head, 10'000));
    EXPECT_LT(Clock::now() - start, 3s);
    expect_refusal(early, 401, "unauthenticated", "bad token before a large body");
    expect_unharmed(before);
    ASSERT_EQ(a.push({c}).status, 200);  // the same change with a good token
}

TEST_F(attack, deep_json_to_the_routes_open_to_anyone_is_a_400) {
    const LogState before = log_state(server());
    // As deep as 16 KiB allows, in arrays and in objects.
    const std::string arrays = std::string(7'000, '[') + std::string(7'000, ']');
    std::string objects;
    for (int i = 0; i < 1'500; ++i) objects += "{\"a\":";
    objects += "1" + std::string(1'500, '}');
    for (const std::string& deep : {arrays, objects}) {
        for (const char* path : {"/v1/auth/challenge", "/v1/auth/token", "/v1/session"}) {
            for (const std::string& body : {deep, "{\"identity\": " + deep + "}", "{\"name\": " + deep + "}"}) {
                const HttpResponse r = http_request(port(), "POST", path, body);
                expect_refusal(r, 400, "bad_request", path);
                EXPECT_NE(r.body.find("nests deeper"), std::string::npos) << path << ": " << r.body;
            }
        }
    }
    expect_unharmed(before);
}

TEST_F(attack, many_small_objects_to_the_routes_open_to_anyone_are_answered_at_once) {
    const LogState before = log_state(server());
    // As many objects as 16 KiB hold. A parser that rescans the array at each
    // object's end takes n² steps here: seconds of a serving thread per request.
    const std::string wide = tiny_objects(5'000);
    const double parse_seconds = seconds_to_parse(wide);
    for (const char* path : {"/v1/auth/challenge", "/v1/auth/token", "/v1/session"}) {
        for (const std::string& body : {wide, "{\"identity\": " + wide + "}", "{\"name\": " + wide + "}"}) {
            const auto start = Clock::now();
            const HttpResponse r = http_request(port(), "POST", path, body);
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            expect_refusal(r, 400, "bad_request", path);
            EXPECT_LT(seconds, 1.0 + 20 * parse_seconds) << path << ": a parse here takes " << parse_seconds << " s";
        }
    }
    expect_unharmed(before);
}

// A chunked body carries no Content-Length to refuse from the header; the
// server must count it as it arrives.
std::string chunked_request(const std::string& target, const std::string& authorization, std::size_t chunk,
                            std::size_t chunks) {
    std::string request = "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                          authorization + "Transfer-Encoding: chunked\r\n\r\n";
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk);
    const std::string data(chunk, ' ');
    for (std::size_t i = 0; i < chunks; ++i) request += size + data + "\r\n";
    return request + "0\r\n\r\n";
}

TEST_F(attack, oversized_chunked_bodies_are_cut_at_the_limit) {
    ProtocolClient a = enrolled("hamborn-a", "site-chunked");
    const LogState before = log_state(server());
    for (const char* path : {"/v1/auth/challenge", "/v1/auth/token", "/v1/session"}) {
        const auto start = Clock::now();
        const HttpResponse r =
            kim::test::parse_response(kim::test::raw_exchange(port(), chunked_request(path, "", 4096, 16), 10'000));
        EXPECT_LT(Clock::now() - start, 5s) << path;
        expect_refusal(r, 413, "too_large", path);
        EXPECT_NE(r.body.find("16 KiB"), std::string::npos) << r.body;
    }
    // A replica's push: 17 MiB in 1 MiB chunks against the 16 MiB limit.
    const auto start = Clock::now();
    const HttpResponse r = kim::test::parse_response(kim::test::raw_exchange(
        port(), chunked_request("/v1/push", "Authorization: Bearer " + a.token() + "\r\n", 1 << 20, 17), 20'000));
    EXPECT_LT(Clock::now() - start, 15s);
    expect_refusal(r, 413, "too_large", "chunked push");
    EXPECT_NE(r.body.find("16 MiB"), std::string::npos) << r.body;
    expect_unharmed(before);
}

// --- a server of its own -------------------------------------------------------

TEST(attack_alone, an_expired_token_is_refused_with_a_message_naming_expiry) {
    OwnServer own({"--token-lifetime", "3"});
    ServerProcess& server = own.server;
    ProtocolClient a(server.port(), "hamborn-a", "site-expiry");
    server.enrol_replica(a.identity(), a.site(), a.public_key_base64());
    const HttpResponse signed_in = a.try_authenticate(a.key());
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    const std::int64_t expires_at = signed_in.json().at("expires_at");
    const std::int64_t now = kim::system_seconds();
    EXPECT_GE(expires_at - now, 1);  // the second may have turned since the server read its clock
    EXPECT_LE(expires_at - now, 3);
    a.set_token(signed_in.json().at("token"));

    // Valid while young: the token is not refused for some other reason later.
    Change first = a.next_case_change();
    a.seal_and_advance(first);
    ASSERT_EQ(a.push({first}).status, 200);

    std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::seconds(expires_at)) + 100ms);
    Change second = a.next_case_change();
    a.seal_and_advance(second);
    for (const HttpResponse& r : {a.push({second}), a.pull(0)}) {
        expect_refusal(r, 401, "unauthenticated", "expired token");
        EXPECT_NE(r.json().at("message").get<std::string>().find("expired"), std::string::npos) << r.body;
        EXPECT_EQ(r.headers.count("www-authenticate"), 1u);
    }
    // Also before the body of a large push.
    const std::string head = "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + a.token() +
                             "\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{";
    const HttpResponse early = kim::test::parse_response(kim::test::raw_exchange(server.port(), head, 10'000));
    expect_refusal(early, 401, "unauthenticated", "expired token before a large body");
    EXPECT_EQ(log_state(server).changes, 1);

    // A new sign-in is all it takes; the refused change was not half stored.
    a.authenticate();
    ASSERT_EQ(a.push({second}).status, 200);
    EXPECT_EQ(log_state(server).changes, 2);
    expect_healthy(server);
    LegitimateSite(server, own.dir.path(), "legit").expect_sync_works();
}

TEST(attack_alone, the_token_lifetime_option_is_checked) {
    TempDir dir("kimattack");
    ServerProcess server(KIM_SERVER_BINARY, dir / "data");
    for (const char* bad : {"0", "-5", "86401", "ten"}) {
        try {
            server.start({"--token-lifetime", bad});
            ADD_FAILURE() << "the server started with --token-lifetime " << bad;
            server.stop();
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("--token-lifetime"), std::string::npos) << e.what();
        }
    }
    const auto help = server.admin_result({"serve", "--help"});
    EXPECT_NE((help.out + help.err).find("--token-lifetime"), std::string::npos) << help.out << help.err;
}

TEST(attack_alone, a_million_tiny_changes_in_one_push_is_refused_quickly_in_bounded_memory) {
    const std::size_t n = env_count("KIM_ATTACK_TINY_CHANGES", 1'000'000);
    OwnServer own;
    ServerProcess& server = own.server;
    ProtocolClient a = own.enrolled("hamborn-a", "site-million");
    const std::vector<Change> warm_up = sealed_cases(a, 2);
    ASSERT_EQ(a.push(warm_up).status, 200);
    ASSERT_EQ(a.pull(0).status, 200);
    const LogState before = log_state(server);

    // Within the 16 MiB body limit: the server must read and parse it.
    const std::string body = "{\"changes\": " + tiny_objects(n) + "}";
    ASSERT_LT(body.size(), kim::protocol::max_request_body_bytes);
    // A linear parse takes this build (Debug, sanitizers) about this long.
    const double parse_seconds = 10 * seconds_to_parse(tiny_objects(n / 10));
    const long rss_before = proc_status_kib(server.pid(), "VmRSS");
    const bool peak_reset = reset_peak_memory(server.pid());
    auto start = Clock::now();
    const HttpResponse r = http_request(server.port(), "POST", "/v1/push", body, {{"Authorization", "Bearer " + a.token()}},
                                        static_cast<int>(1000 * (10 + 5 * parse_seconds)));
    const double within_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const long peak_within = proc_status_kib(server.pid(), "VmHWM");
    expect_refusal(r, 413, "too_large", "a million tiny changes");
    EXPECT_NE(r.body.find(std::to_string(kim::protocol::max_push_changes)), std::string::npos) << r.body;
    // Reading, checking and parsing the body: a few times a parse, not n times.
    EXPECT_LT(within_seconds, 5 + 5 * parse_seconds);

    // Beyond it: refused from the header, the body never read.
    const std::string beyond(kim::protocol::max_request_body_bytes + 3, ' ');
    const long rss_between = proc_status_kib(server.pid(), "VmRSS");  // the allocator may keep what it freed
    reset_peak_memory(server.pid());
    start = Clock::now();
    expect_refusal(a.push_body(beyond), 413, "too_large", "a body beyond the limit");
    EXPECT_LT(Clock::now() - start, 5s);
    const long peak_beyond = proc_status_kib(server.pid(), "VmHWM");

    // What a refused push may cost: its body twice (read, then handed over)
    // and at most one parsed copy of it (~80 bytes an empty object with the
    // allocator's overhead; 100 allowed), not a copy for each step that looks at it.
    const long bound_kib = static_cast<long>((2 * body.size() + n * 100) / 1024) + 32 * 1024;
    std::cout << "[ figures  ] " << n << " tiny changes, " << body.size() / 1024 << " KiB: HTTP " << r.status << " in "
              << within_seconds << " s (a parse here: " << parse_seconds << " s); server memory " << rss_before / 1024
              << " MiB, peak " << peak_within / 1024 << " MiB within the limit (bound " << (rss_before + bound_kib) / 1024
              << " MiB); " << rss_between / 1024 << " MiB, peak " << peak_beyond / 1024 << " MiB beyond it" << std::endl;
    if (peak_reset && memory_is_measurable) {
        EXPECT_LT(peak_within, rss_before + bound_kib);
        EXPECT_LT(peak_beyond, rss_between + 8 * 1024) << "a body over the limit was read";
    }

    expect_healthy(server);
    EXPECT_EQ(log_state(server), before);
    Change next = a.next_case_change();
    a.seal_and_advance(next);
    ASSERT_EQ(a.push({next}).status, 200);
    LegitimateSite(server, own.dir.path(), "legit").expect_sync_works();
}

// One connection of a slowloris attack: a header that never ends.
struct SlowClient {
    int fd = -1;
    std::string got;
    bool cut = false;
    Clock::time_point cut_at{};
};

TEST(attack_alone, many_slow_clients_at_once_do_not_starve_others_and_are_cut_off) {
    const std::size_t n = env_count("KIM_ATTACK_SLOW_CONNECTIONS", 100);
    OwnServer own;
    ServerProcess& server = own.server;
    ProtocolClient a = own.enrolled("hamborn-a", "site-slowloris");
    const std::vector<Change> warm_up = sealed_cases(a, 1);
    ASSERT_EQ(a.push(warm_up).status, 200);
    ASSERT_EQ(a.pull(0).status, 200);
    const std::size_t descriptors_before = quiet_descriptors(server.pid());

    std::vector<SlowClient> slow(n);
    const auto start = Clock::now();
    for (auto& s : slow) {
        s.fd = kim::test::connect_loopback(server.port());
        ASSERT_GE(s.fd, 0);
        const std::string opening = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        ASSERT_EQ(::send(s.fd, opening.data(), opening.size(), MSG_NOSIGNAL), static_cast<ssize_t>(opening.size()));
    }
    // The header timeout (10 s from the connection's start) plus a margin.
    const auto give_up = start + 14s;
    auto next_drip = Clock::now();
    auto next_probe = Clock::now();
    double slowest_probe = 0;
    int probes = 0;
    std::size_t cut = 0;
    while (cut < n && Clock::now() < give_up) {
        if (Clock::now() >= next_drip) {  // one byte per client every 500 ms
            for (auto& s : slow) {
                if (!s.cut && ::send(s.fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
                    s.cut = true;
                    s.cut_at = Clock::now();
                    ++cut;
                }
            }
            next_drip += 500ms;
        }
        if (Clock::now() >= next_probe && Clock::now() < start + 8s) {
            // Meanwhile a normal client is served, and a replica pushes.
            const auto t0 = Clock::now();
            EXPECT_EQ(http_request(server.port(), "GET", "/healthz", "", {}, 5'000).status, 200);
            Change c = a.next_case_change();
            a.seal_and_advance(c);
            EXPECT_EQ(a.push({c}).status, 200);
            slowest_probe = std::max(slowest_probe, std::chrono::duration<double>(Clock::now() - t0).count());
            ++probes;
            next_probe += 1s;
        }
        std::vector<pollfd> fds;
        std::vector<SlowClient*> who;
        for (auto& s : slow) {
            if (s.cut) continue;
            fds.push_back({s.fd, POLLIN, 0});
            who.push_back(&s);
        }
        if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t got = ::recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got > 0) who[i]->got.append(buf, static_cast<std::size_t>(got));
            if (got == 0 || (got < 0 && errno != EAGAIN)) {
                who[i]->cut = true;
                who[i]->cut_at = Clock::now();
                ++cut;
            }
        }
    }
    std::size_t answered_408 = 0;
    double first_cut = 1e9;
    double last_cut = 0;
    for (auto& s : slow) {
        if (kim::test::parse_response(s.got).status == 408) ++answered_408;
        if (s.cut) {
            const double at = std::chrono::duration<double>(s.cut_at - start).count();
            first_cut = std::min(first_cut, at);
            last_cut = std::max(last_cut, at);
        }
        ::close(s.fd);
    }
    std::cout << "[ figures  ] " << n << " slow clients: " << cut << " cut (" << answered_408 << " told 408) from " << first_cut
              << " s to " << last_cut << " s; " << probes << " normal requests meanwhile, the slowest " << slowest_probe << " s"
              << std::endl;
    EXPECT_EQ(cut, n) << "slow clients still connected after " << last_cut << " s";
    EXPECT_EQ(answered_408, n);
    // Cut by the header timeout (10 s from the connection's start), not before.
    EXPECT_GE(first_cut, 9.5);
    EXPECT_LE(last_cut, 13.0);
    EXPECT_GE(probes, 6);
    EXPECT_LT(slowest_probe, 2.0) << "slow clients held up the others";

    // Every slot and descriptor is given back.
    const auto deadline = Clock::now() + 5s;
    while (open_descriptors(server.pid()) > descriptors_before && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_LE(open_descriptors(server.pid()), descriptors_before);
    expect_healthy(server);
    EXPECT_EQ(log_state(server).changes, probes + 1);
    LegitimateSite(server, own.dir.path(), "legit").expect_sync_works();
}

TEST(attack_alone, hundreds_of_connections_at_once_are_bounded_and_leave_no_descriptor_behind) {
    const std::size_t n = env_count("KIM_ATTACK_CONNECTIONS", 400);
    const std::size_t bound = 256;  // the default of --max-connections
    ASSERT_GT(n, bound);
    OwnServer own;
    ServerProcess& server = own.server;
    ProtocolClient a = own.enrolled("hamborn-a", "site-many");
    const std::vector<Change> warm_up = sealed_cases(a, 2);
    ASSERT_EQ(a.push(warm_up).status, 200);
    ASSERT_EQ(a.pull(0).status, 200);
    const LogState before = log_state(server);
    const std::size_t descriptors_before = quiet_descriptors(server.pid());

    // Each connection asks for /healthz and keeps the connection open.
    std::vector<int> fds;
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (std::size_t i = 0; i < n; ++i) {
        const int fd = kim::test::connect_loopback(server.port());
        ASSERT_GE(fd, 0) << "connection " << i << " not even accepted by the kernel";
        fds.push_back(fd);
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    }
    // Each gets its answer, or is closed, at once: none is left waiting.
    std::vector<std::string> got(n);
    std::vector<bool> done(n, false);
    std::size_t ok = 0, busy = 0, closed = 0, other = 0;
    const auto deadline = Clock::now() + 10s;
    for (std::size_t finished = 0; finished < n && Clock::now() < deadline;) {
        std::vector<pollfd> polled;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < n; ++i) {
            if (done[i]) continue;
            polled.push_back({fds[i], POLLIN, 0});
            index.push_back(i);
        }
        if (::poll(polled.data(), polled.size(), 100) <= 0) continue;
        for (std::size_t k = 0; k < polled.size(); ++k) {
            if (!(polled[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const std::size_t i = index[k];
            char buf[4096];
            const ssize_t r = ::recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);
            if (r < 0 && errno == EAGAIN) continue;
            if (r > 0) got[i].append(buf, static_cast<std::size_t>(r));
            const HttpResponse parsed = kim::test::parse_response(got[i]);
            const auto length = parsed.headers.find("content-length");
            const bool whole = length != parsed.headers.end() && parsed.body.size() == std::stoull(length->second);
            if (r > 0 && !whole) continue;
            done[i] = true;
            ++finished;
            if (parsed.status == 200) {
                ++ok;
            } else if (parsed.status == 503) {
                ++busy;
                EXPECT_EQ(parsed.json().at("error"), "busy");
                EXPECT_EQ(parsed.headers.count("retry-after"), 1u);
            } else if (parsed.status == 0 && got[i].empty()) {
                ++closed;
                ::close(fds[i]);
                fds[i] = -1;
            } else {
                ++other;
                ADD_FAILURE() << "connection " << i << " got: " << got[i].substr(0, 300);
            }
        }
    }
    const std::size_t descriptors_held = open_descriptors(server.pid());
    std::cout << "[ figures  ] " << n << " connections at once: " << ok << " served, " << busy << " told 503, " << closed
              << " closed at once; server descriptors " << descriptors_before << " -> " << descriptors_held << std::endl;
    EXPECT_EQ(ok + busy + closed + other, n) << "connections left without an answer";
    EXPECT_EQ(ok, bound) << "the bound of open connections did not hold";
    // Then up to max(16, bound/8) are told 503 (their slots free again 2 s
    // after the answer); any beyond those are closed unanswered.
    EXPECT_GE(busy, 16u);
    if (n >= bound + 64) {
        EXPECT_GE(closed, 1u);
    }
    EXPECT_EQ(other, 0u);
    EXPECT_GE(descriptors_held, descriptors_before + bound);

    // While they are held, a newcomer is turned away at once, not left waiting.
    auto start = Clock::now();
    const HttpResponse newcomer = http_request(server.port(), "GET", "/healthz", "", {}, 5'000);
    EXPECT_LT(Clock::now() - start, 3s);
    EXPECT_TRUE(newcomer.status == 503 || newcomer.status == 0) << newcomer.status << " " << newcomer.body;

    // Released, the server serves again at once and holds no descriptor more than before.
    for (const int fd : fds) {
        if (fd >= 0) ::close(fd);
    }
    start = Clock::now();
    while (http_request(server.port(), "GET", "/healthz", "", {}, 2'000).status != 200 && Clock::now() - start < 5s) {
        std::this_thread::sleep_for(20ms);
    }
    const double recovered = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_LT(recovered, 3.0) << "the server did not recover";
    const auto settle = Clock::now() + 5s;
    while (open_descriptors(server.pid()) > descriptors_before && Clock::now() < settle) std::this_thread::sleep_for(50ms);
    const std::size_t descriptors_after = open_descriptors(server.pid());
    std::cout << "[ figures  ] released: served again after " << recovered << " s; server descriptors "
              << descriptors_after << std::endl;
    EXPECT_LE(descriptors_after, descriptors_before) << "descriptors leaked";
    expect_healthy(server);
    EXPECT_EQ(log_state(server), before);
    LegitimateSite(server, own.dir.path(), "legit").expect_sync_works();
}

}  // namespace
