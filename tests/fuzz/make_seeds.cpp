// kim_fuzz_make_seeds CORPUS_DIR: writes the seeds of the change,
// http_request and pull_response targets into CORPUS_DIR/<target>/
// (tests/fuzz/corpus), overwriting the files of the same names and leaving
// any other (regression inputs) alone. The catalogue's seeds are written by
// hand. Every value is synthetic.
//
//  change:        the golden vectors (tests/golden/change_v1.json), fz-a's
//                 sample changes, changes that break one catalogue rule
//                 (signed, so that they reach the rules), broken envelopes,
//                 and a few starts for the target's mutation mode.
//  http_request:  one request per route and method, with the markers the
//                 target replaces by live tokens, plus malformed HTTP.
//  pull_response: pages of real changes made by replicas fz-a, fz-b (and
//                 fz-c, whose clock says 2040) of site fz-site,
//                 joined with the fixed site key, and broken answers.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_introduction.hpp"
#include "fuzz_support.hpp"
#include "keys/key_ring.hpp"
#include "kim/client/replica.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/protocol.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace kim;

std::size_t written = 0;
std::size_t written_bytes = 0;

void write(const fs::path& file, std::string_view bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
    ++written;
    written_bytes += bytes.size();
}

std::string flip_base64(const std::string& b64, std::size_t index = 0) {
    auto bytes = base64_decode(b64);
    if (!bytes || bytes->empty()) throw std::runtime_error("not base64: " + b64);
    (*bytes)[index % bytes->size()] ^= 0x01;
    return base64_encode(*bytes);
}

// ------------------------------------------------------------------ change --

void change_seeds(const fs::path& dir, const fs::path& golden_file) {
    const json golden = json::parse(fuzz::read_file(golden_file));
    for (const auto& v : golden.at("vectors")) {
        write(dir / ("golden-" + v.at("name").get<std::string>() + ".json"), v.at("expected").at("wire").dump());
    }

    const auto key_a = fuzz::fixed_key(fuzz::replica_a);
    fuzz::ChangeChain chain(fuzz::replica_a, key_a);
    const auto samples = fuzz::sample_changes(chain);
    for (const auto& c : samples) {
        write(dir / ("signed-" + std::to_string(c.seq) + "-" + c.kind + ".json"), change_to_json(c).dump());
    }
    write(dir / "signed-1-case-without-ct.json", change_to_json(samples[0], false).dump());

    // Signed, each breaking one catalogue rule.
    const std::string record = "8b9c1d2e-3f4a-4b5c-9d6e-7f8a9b1c2d3e";
    struct Rule {
        const char* name;
        const char* kind;
        std::vector<FieldOp> ops;
    };
    FieldOp erased_false;
    erased_false.field = "_erased";
    erased_false.value = false;
    const std::vector<Rule> rules = {
        {"unknown-kind", "pet", {fuzz::clear_op("phase", "intake")}},
        {"unknown-field", "case", {fuzz::clear_op("hobby", "chess")}},
        {"bad-enum-value", "case", {fuzz::clear_op("phase", "sleeping")}},
        {"bad-quarter", "case", {fuzz::clear_op("opened_quarter", "2026-Q7")}},
        {"confidential-in-clear", "case", {fuzz::clear_op("name", "Testname")}},
        {"statistical-encrypted", "case", {fuzz::secret_op("phase")}},
        {"key-outside-case", "goal", {fuzz::secret_op("_key")}},
        {"case-link-on-case", "case", {fuzz::clear_op("case", record)}},
        {"contact-edited", "contact", {fuzz::clear_op("mode", "phone")}},
        {"erased-false", "case", {erased_false}},
    };
    for (const auto& rule : rules) {
        fuzz::ChangeChain own(fuzz::replica_a, key_a);
        write(dir / (std::string("rules-") + rule.name + ".json"), change_to_json(own.next(record, rule.kind, rule.ops)).dump());
    }
    {
        Change late = samples[0];
        late.hlc = (std::uint64_t{1} << 63);
        seal_change(late, key_a.secret_key);
        write(dir / "rules-hlc-out-of-range.json", change_to_json(late).dump());
    }

    // Envelopes the parser or the signature check refuses.
    const json base = change_to_json(samples[0]);
    const json edit = change_to_json(samples[2]);
    const auto variant = [&](const char* name, const std::function<void(json&)>& change, const json& from) {
        json j = from;
        change(j);
        write(dir / (std::string("broken-") + name + ".json"), j.dump());
    };
    variant("version-2", [](json& j) { j["v"] = 2; }, base);
    variant("unknown-key", [](json& j) { j["note"] = "x"; }, base);
    variant("missing-sig", [](json& j) { j.erase("sig"); }, base);
    variant("seq-zero", [](json& j) { j["seq"] = 0; }, base);
    variant("seq-beyond-int64", [](json& j) { j["seq"] = std::uint64_t{1} << 63; }, base);
    variant("seq-negative", [](json& j) { j["seq"] = -1; }, base);
    variant("hlc-float", [](json& j) { j["hlc"] = 1.5; }, base);
    variant("record-not-uuid", [](json& j) { j["record"] = "CASE-1"; }, base);
    variant("origin-not-a-name", [](json& j) { j["origin"] = "Fz_A"; }, base);
    variant("ops-unsorted", [](json& j) { std::swap(j["ops"][0], j["ops"][1]); }, base);
    variant("ops-empty", [](json& j) { j["ops"] = json::array(); }, base);
    variant("op-value-and-hash", [](json& j) { j["ops"][0]["value"] = "x"; }, base);
    variant("op-ct-without-hash", [](json& j) { j["ops"][0].erase("ct_hash"); }, base);
    variant("op-ct-too-short", [](json& j) { j["ops"][0]["ct"] = base64_encode(Hash32{}); }, base);
    variant("op-ct-not-base64", [](json& j) { j["ops"][0]["ct"] = "not base64!"; }, base);
    variant("op-value-number", [](json& j) { j["ops"][6]["value"] = 2; }, base);
    variant("prev-short", [](json& j) { j["prev"] = "AAAA"; }, base);
    variant("sig-flipped", [](json& j) { j["sig"] = flip_base64(j["sig"].get<std::string>()); }, base);
    variant("ct-flipped", [](json& j) { j["ops"][0]["ct"] = flip_base64(j["ops"][0]["ct"].get<std::string>(), 30); }, base);
    variant("ct-hash-flipped", [](json& j) { j["ops"][0]["ct_hash"] = flip_base64(j["ops"][0]["ct_hash"].get<std::string>()); }, base);
    variant("parents-unsorted", [](json& j) { j["ops"][0]["parents"] = {"fz-a:2", "fz-a:1"}; }, edit);
    variant("parent-not-earlier", [](json& j) { j["ops"][0]["parents"] = {"fz-a:3"}; }, edit);
    variant("parent-not-an-id", [](json& j) { j["ops"][0]["parents"] = {"fz-a"}; }, edit);
    write(dir / "broken-not-an-object.json", "[1,2,3]");
    write(dir / "broken-truncated.json", base.dump().substr(0, base.dump().size() / 2));
    write(dir / "broken-deep.json", std::string(40, '[') + std::string(40, ']'));
    write(dir / "broken-invalid-utf8.json", "{\"v\":1,\"origin\":\"fz-\xc3\x28\"}");

    // The target's mutation mode: a first byte below 0x09, then the choices.
    write(dir / "mutate-0.bin", std::string("\x01\x00\x00\x00", 4));
    write(dir / "mutate-1.bin", std::string("\x02\x01\x03\x10\x20\x05\x07\x11", 8));
    write(dir / "mutate-2.bin", std::string("\x03\x02\x05\x33\x01\x02\x03\x04\x05\x06", 10));
    write(dir / "mutate-3.bin", std::string("\x04\x04\x02\x40\x04\x00\x09\x08\x07\x06\x05\x04", 12));
}

// ------------------------------------------------------------ http_request --

std::string request(std::string_view method, std::string_view target, const std::vector<std::string>& headers = {},
                    std::optional<std::string> body = std::nullopt) {
    std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: kim.example\r\n";
    for (const auto& h : headers) r += h + "\r\n";
    if (body) {
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body->size()) + "\r\n";
    }
    r += "\r\n";
    if (body) r += *body;
    return r;
}

std::string bearer(std::string_view marker) { return "Authorization: Bearer " + std::string(marker); }

void http_seeds(const fs::path& dir) {
    const auto put = [&](const char* name, const std::string& bytes) { write(dir / (std::string(name) + ".http"), bytes); };
    const std::string replica = bearer("@TOKEN_REPLICA@");
    const std::string auditor = bearer("@TOKEN_AUDITOR@");
    const std::string coordinator = bearer("@TOKEN_COORD@");
    const std::string cookie = "Cookie: theme=dark; kim_session=@SESSION@";

    put("health", request("GET", protocol::path_health));
    put("health-head", request("HEAD", protocol::path_health));
    put("metrics", request("GET", protocol::path_metrics));
    put("dashboard-index", request("GET", "/"));
    put("dashboard-js", request("GET", "/dashboard.js", {"Connection: close"}));
    put("dashboard-css", request("GET", "/dashboard.css"));

    put("challenge", request("POST", protocol::path_challenge, {}, json{{"identity", fuzz::replica_b}}.dump()));
    put("challenge-bad-identity", request("POST", protocol::path_challenge, {}, R"({"identity":"Not A Name!"})"));
    put("token", request("POST", protocol::path_token, {},
                         json{{"identity", fuzz::replica_b}, {"challenge", fuzz::challenge_marker}, {"signature", fuzz::signature_marker}}.dump()));
    put("token-forged", request("POST", protocol::path_token, {},
                                json{{"identity", fuzz::replica_b}, {"challenge", fuzz::challenge_marker},
                                     {"signature", base64_encode(crypto::Signature{})}}.dump()));

    // fz-b's pushes: a new case, an edit of fz-a's first case, an erasure.
    const auto key_b = fuzz::fixed_key(fuzz::replica_b);
    fuzz::ChangeChain chain(fuzz::replica_b, key_b);
    const std::string first_of_a = change_id(fuzz::replica_a, 1);
    const std::vector<Change> pushed = {
        chain.next("9c1d2e3f-4a5b-4c6d-8e7f-8a9b1c2d3e4f", "case",
                   {fuzz::secret_op("_key"), fuzz::secret_op("name"), fuzz::clear_op("phase", "intake"),
                    fuzz::clear_op("opened_quarter", "2026-Q2"), fuzz::clear_op("age_band", "27_44")}),
        chain.next(fuzz::server_case_ids[0], "case", {fuzz::clear_op("phase", "assessment", {first_of_a})}),
        chain.next(fuzz::server_case_ids[3], "case", {[] {
                       FieldOp op;
                       op.field = "_erased";
                       op.value = true;
                       return op;
                   }()}),
    };
    const json intro_b = fuzz::introduction_json(fuzz::replica_b, key_b.public_key);
    const auto push_body = [&](const std::vector<Change>& changes, bool with_intro = true) {
        json body = {{"changes", json::array()}};
        for (const auto& c : changes) body["changes"].push_back(change_to_json(c));
        if (with_intro) body["introduction"] = intro_b;
        return body.dump();
    };
    put("push", request("POST", protocol::path_push, {replica}, push_body(pushed)));
    put("push-first", request("POST", protocol::path_push, {replica}, push_body({pushed[0]}, false)));
    put("push-gap", request("POST", protocol::path_push, {replica}, push_body({pushed[1]})));
    {
        json body = json::parse(push_body({pushed[0]}));
        body["changes"][0]["sig"] = flip_base64(body["changes"][0]["sig"].get<std::string>());
        put("push-bad-signature", request("POST", protocol::path_push, {replica}, body.dump()));
        body = json::parse(push_body({pushed[0]}));
        body["changes"][0]["ops"][0].erase("ct");
        put("push-missing-ciphertext", request("POST", protocol::path_push, {replica}, body.dump()));
        body = json::parse(push_body({pushed[0]}));
        body["changes"][0] = "not an envelope";
        put("push-malformed-change", request("POST", protocol::path_push, {replica}, body.dump()));
    }
    {
        fuzz::ChangeChain chain_a(fuzz::replica_a, fuzz::fixed_key(fuzz::replica_a));
        const auto of_a = fuzz::server_changes(chain_a);
        put("push-duplicate", request("POST", protocol::path_push, {bearer("@TOKEN_A@")}, push_body({of_a[0]}, false)));
        put("push-wrong-origin", request("POST", protocol::path_push, {replica}, push_body({of_a[0]}, false)));
    }
    put("push-no-token", request("POST", protocol::path_push, {}, push_body(pushed)));
    put("push-not-json", request("POST", protocol::path_push, {replica}, "{\"changes\": [}"));
    {
        const std::string body = push_body({pushed[0]});
        const std::size_t half = body.size() / 2;
        char size1[32], size2[32];
        std::snprintf(size1, sizeof size1, "%zx", half);
        std::snprintf(size2, sizeof size2, "%zx", body.size() - half);
        put("push-chunked", "POST /v1/push HTTP/1.1\r\nHost: kim.example\r\n" + replica +
                                "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + size1 + "\r\n" +
                                body.substr(0, half) + "\r\n" + size2 + "\r\n" + body.substr(half) + "\r\n0\r\n\r\n");
        put("push-expect-continue", request("POST", protocol::path_push, {replica, "Expect: 100-continue"}, body));
    }
    put("push-too-large", "POST /v1/push HTTP/1.1\r\nHost: kim.example\r\n" + replica +
                              "\r\nContent-Length: 99999999999\r\n\r\n{");

    put("pull", request("GET", "/v1/pull?since=0&limit=2", {replica}));
    put("pull-since", request("GET", "/v1/pull?since=3", {replica}));
    put("pull-bad-query", request("GET", "/v1/pull?since=abc&limit=0&x=%zz", {replica}));
    put("pull-as-auditor", request("GET", "/v1/pull", {auditor}));
    put("pull-lowercase-bearer", request("GET", "/v1/pull?limit=2000", {"authorization: bearer   @TOKEN_REPLICA@  "}));
    put("pull-basic-auth", request("GET", "/v1/pull", {"Authorization: Basic Zm9vOmJhcg=="}));
    put("pull-forged-token", request("GET", "/v1/pull", {"Authorization: Bearer kim1.eyJzdWIiOiJmei1iIn0.AAAA"}));

    put("stats", request("GET", "/v1/stats?count=cases&by=phase", {coordinator}));
    put("stats-two-ways-csv", request("GET", "/v1/stats?count=cases&by=phase,sex&format=csv", {coordinator}));
    put("stats-filter", request("GET", "/v1/stats?count=goals&by=status&field=wohnen&site=fz-site", {cookie}));
    put("stats-need", request("GET", "/v1/stats?by=need", {cookie, "Accept: text/csv"}));
    put("stats-encoded", request("GET", "/v1/stats?count=cases&by=opened_quarter&phase=intake%2Cclosed", {coordinator}));
    put("stats-unknown", request("GET", "/v1/stats?count=pets&by=colour", {coordinator}));

    put("session-sign-in", request("POST", protocol::path_session, {},
                                   json{{"name", fuzz::coordinator}, {"password", "not the password"}}.dump()));
    {
        const std::string body = json{{"name", fuzz::coordinator}, {"password", "x"}}.dump();
        put("session-sign-in-text", "POST /v1/session HTTP/1.1\r\nHost: kim.example\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    put("session-current", request("GET", protocol::path_session, {cookie}));
    put("session-sign-out", request("DELETE", protocol::path_session, {cookie}));

    put("audit-keys", request("GET", protocol::path_audit_keys, {auditor}));
    put("audit-log", request("GET", "/v1/audit/log?since=0&limit=3&ciphertexts=1", {auditor}));
    put("audit-checkpoints", request("GET", protocol::path_audit_checkpoints, {auditor}));
    put("audit-checkpoint-now", request("POST", protocol::path_audit_checkpoints, {auditor}, "{}"));
    put("audit-checkpoint-bad-body", request("POST", protocol::path_audit_checkpoints, {auditor}, "[1]"));
    put("audit-as-replica", request("GET", protocol::path_audit_keys, {replica}));

    put("other-version", request("GET", "/v2/pull"));
    put("not-found", request("GET", "/nothing/here?x=1"));
    put("wrong-method", request("PUT", protocol::path_pull));
    put("pipelined", request("GET", protocol::path_health) + request("GET", "/v1/pull", {replica}) +
                         request("POST", protocol::path_challenge, {}, R"({"identity":"fz-a"})"));
    put("http-1.0", "GET /healthz HTTP/1.0\r\n\r\n");
    put("absolute-target", "GET http://kim.example/healthz HTTP/1.1\r\nHost: kim.example\r\n\r\n");
    put("incomplete-header", "GET /v1/pull HTTP/1.1\r\nHost: kim");
    put("bad-request-line", "GET /healthz HTTP/9.9\r\n\r\n");
    put("garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe", 13));
    put("duplicate-length", "POST /v1/auth/challenge HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
}

// ----------------------------------------------------------- pull_response --

client::Replica make_replica(const fs::path& home, const char* name, std::function<std::uint64_t()> clock = system_millis) {
    client::CreateOptions o;
    o.home = home;
    o.site = fuzz::site;
    o.replica = name;
    o.passphrase = fuzz::passphrase;
    o.kdf = KdfParams::minimal();
    o.join_bundle =
        client::seal_site_key_bundle(fuzz::fixed_site_key(), fuzz::site, fuzz::bundle_passphrase, KdfParams::minimal(), {});
    o.bundle_passphrase = fuzz::bundle_passphrase;
    client::Replica::create(o);
    return client::Replica::open(home, fuzz::passphrase, std::move(clock));
}

json page(const json& changes, const json& introductions, std::uint64_t next, bool more) {
    return {{"changes", changes}, {"introductions", introductions}, {"next", next}, {"more", more}};
}

void pull_seeds(const fs::path& dir) {
    const fs::path scratch = fuzz::scratch_folder("kim-fuzz-seeds");
    auto a = make_replica(scratch / "a", fuzz::replica_a);
    auto b = make_replica(scratch / "b", fuzz::replica_b);
    // Its clock says 2040: its changes are dated after the target's clock (2035).
    auto c = make_replica(scratch / "c", "fz-c", [] { return std::uint64_t{2'208'988'800'000}; });

    const std::string case1 = a.create_case({{"name", "Testperson Eins"}, {"birth_date", "1990-04-17"}, {"phase", "intake"},
                                             {"sex", "female"}, {"need.wohnen", "2"}});
    a.add_record("goal", case1, {{"text", "Wohnung finden"}, {"field", "wohnen"}, {"status", "open"}});
    a.add_record("contact", case1, {{"text", "Erstgespraech"}, {"date", "2026-02-01"}, {"mode", "phone"}});
    const std::string case2 = a.create_case({{"name", "Testperson Zwei"}, {"phase", "assessment"}});
    b.import_changes(a.export_changes());
    a.set_fields(case1, {{"phase", "planning"}});
    b.set_fields(case1, {{"phase", "linking"}, {"address", "Teststrasse 1"}});
    b.erase(case2);
    c.create_case({{"name", "Testperson Drei"}, {"phase", "intake"}});

    // The server's order: fz-a's changes, then fz-b's; fz-c's apart.
    json changes = json::array();
    json intros = json::array();
    for (auto* r : {&a, &b}) {
        const json file = r->export_changes();
        for (const auto& ch : file.at("changes")) {
            if (ch.at("origin") == r->replica_id()) changes.push_back(ch);
        }
        intros.push_back(r->introduction());
    }
    const json file_c = c.export_changes();
    const std::size_t n = changes.size();
    const std::string sep = "\n%%\n";
    const auto put = [&](const char* name, const std::string& text) { write(dir / name, text); };

    put("page-all.json", page(changes, intros, n, false).dump());
    {
        json first = json::array(), rest = json::array();
        for (std::size_t i = 0; i < n; ++i) (i < 3 ? first : rest).push_back(changes[i]);
        put("pages-two.txt", page(first, intros, 3, true).dump() + sep + page(rest, intros, n, false).dump());
        put("page-gap.json", page(rest, intros, n, false).dump());
    }
    put("page-introductions-only.json", page(json::array(), intros, 0, false).dump());
    put("page-unvouched.json", page(changes, json::array(), n, false).dump());
    put("page-clock-ahead.json",
        page(file_c.at("changes"), json::array({c.introduction()}), 1, false).dump());
    {
        json bad = changes;
        bad[1]["sig"] = flip_base64(bad[1]["sig"].get<std::string>());
        put("page-bad-signature.json", page(bad, intros, n, false).dump());
        bad = changes;
        for (auto& op : bad[0]["ops"]) {
            if (op.contains("ct")) {
                op["ct"] = flip_base64(op["ct"].get<std::string>(), 40);
                break;
            }
        }
        put("page-bad-ciphertext.json", page(bad, intros, n, false).dump());
        json forged = intros;
        forged[0]["mac"] = flip_base64(forged[0]["mac"].get<std::string>());
        put("page-forged-introduction.json", page(changes, forged, n, false).dump());
        bad = changes;
        bad[0]["site"] = "fz-other";
        put("page-other-site.json", page(bad, intros, n, false).dump());
    }
    put("pages-duplicate.txt", page(changes, intros, n, true).dump() + sep + page(changes, intros, n + 1, false).dump());
    put("answer-401-then-page.txt", "@401\n{\"error\":\"unauthenticated\",\"message\":\"token expired\"}" + sep +
                                        page(json::array(), intros, 0, false).dump());
    put("answer-401-twice.txt", "@401\n{}" + sep + "@401\n{}");
    put("answer-500.txt", "@500\n{\"error\":\"internal\",\"message\":\"the server failed\"}");
    put("answer-503.txt", "@503\n{\"error\":\"busy\",\"message\":\"try again\"}");
    put("answer-400-protocol.txt", "@400\n{\"error\":\"unsupported_protocol\",\"message\":\"v2 only\"}");
    put("answer-404-html.txt", "@404\n<html><body>not found</body></html>");
    put("answer-not-json.txt", "this is not a page");
    put("answer-empty.txt", "");
    put("answer-wrong-shape.txt", R"({"changes":{},"introductions":[],"next":1,"more":false})");
    put("answer-unknown-key.txt", R"({"changes":[],"introductions":[],"next":1,"more":false,"extra":1})");
    put("answer-more-without-progress.txt", R"({"changes":[],"introductions":[],"next":0,"more":true})");
    put("answer-next-max.txt", R"({"changes":[],"introductions":[],"next":18446744073709551615,"more":false})");
    put("answer-next-negative.txt", R"({"changes":[],"introductions":[],"next":-1,"more":false})");
    put("answer-introduction-malformed.txt",
        R"({"changes":[],"introductions":[{"replica":"fz-x","public_key":"AAAA","mac":1}],"next":1,"more":false})");
    put("answer-change-malformed.txt", R"({"changes":[{"v":1}],"introductions":[],"next":1,"more":false})");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: kim_fuzz_make_seeds CORPUS_DIR (tests/fuzz/corpus)\n");
        return 2;
    }
    try {
        const fs::path corpus = argv[1];
        const fs::path golden = corpus / ".." / ".." / "golden" / "change_v1.json";
        change_seeds(corpus / "change", golden);
        http_seeds(corpus / "http_request");
        pull_seeds(corpus / "pull_response");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kim_fuzz_make_seeds: %s\n", e.what());
        return 1;
    }
    std::printf("kim_fuzz_make_seeds: wrote %zu files, %zu bytes\n", written, written_bytes);
    return 0;
}
