// The audit endpoints of the real kim-server (docs/protocol.md "Audit"):
// auditor role only, the keys, the log in pages with or without
// ciphertexts, the checkpoints (automatic every N, and on request), and
// strict query parameters.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/checkpoint.hpp"
#include "kim/shared/hlc.hpp"
#include "server_fixture.hpp"

namespace {

using kim::Change;
using kim::test::HttpResponse;
using kim::test::ProtocolClient;
using kim::test::http_request;
using nlohmann::json;

// A signed-in user of the server with `role`, enrolled by its public key.
ProtocolClient signed_in_user(const kim::test::ServerProcess& server, const std::string& name, const std::string& role) {
    ProtocolClient user(server.port(), name, "");
    server.admin({"user", "add", user.identity(), "--role", role, "--pubkey", user.public_key_base64()});
    user.authenticate();
    return user;
}

HttpResponse get(int port, const std::string& target, const std::string& token) {
    kim::test::Headers headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "GET", target, "", headers);
}

HttpResponse post(int port, const std::string& target, const std::string& token, const std::string& body = "") {
    kim::test::Headers headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "POST", target, body, headers);
}

std::string log_target(std::uint64_t since, std::size_t limit, int ciphertexts) {
    return std::string(kim::protocol::path_audit_log) + "?since=" + std::to_string(since) +
           "&limit=" + std::to_string(limit) + "&ciphertexts=" + std::to_string(ciphertexts);
}

// Every entry of the log, page by page.
std::vector<kim::protocol::AuditLogEntry> whole_log(int port, const std::string& token, std::size_t limit, int ciphertexts,
                                                    int* pages = nullptr) {
    std::vector<kim::protocol::AuditLogEntry> all;
    std::uint64_t since = 0;
    for (bool more = true; more;) {
        const HttpResponse r = get(port, log_target(since, limit, ciphertexts), token);
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status != 200) break;
        const auto page = kim::protocol::audit_log_page_from_json(r.json());
        for (const auto& e : page.entries) all.push_back(e);
        EXPECT_TRUE(page.entries.empty() || page.next == page.entries.back().server_seq);
        since = page.next;
        more = page.more;
        if (pages) ++*pages;
    }
    return all;
}

std::vector<Change> push_cases(ProtocolClient& replica, int n) {
    std::vector<Change> batch;
    for (int i = 0; i < n; ++i) {
        batch.push_back(replica.next_case_change());
        replica.seal_and_advance(batch.back());
    }
    const HttpResponse r = replica.push(batch);
    EXPECT_EQ(r.status, 200) << r.body;
    return batch;
}

class audit_api : public kim::test::ServerSuite {
protected:
    ProtocolClient auditor() { return signed_in_user(server(), unique("pruefer"), "auditor"); }
};

TEST_F(audit_api, the_auditor_reads_keys_log_and_checkpoints) {
    ProtocolClient a = enrolled("hamborn-a", "site-audit");
    const auto pushed = push_cases(a, 3);
    const ProtocolClient au = auditor();

    const HttpResponse keys_answer = get(port(), std::string(kim::protocol::path_audit_keys), au.token());
    ASSERT_EQ(keys_answer.status, 200) << keys_answer.body;
    const auto keys = kim::protocol::audit_keys_from_json(keys_answer.json());
    const auto server_key = kim::base64_decode_fixed<kim::crypto::public_key_size>(keys.server_key);
    ASSERT_TRUE(server_key.has_value());
    std::map<std::string, kim::crypto::PublicKey> by_id;
    for (const auto& r : keys.replicas) by_id[r.id] = *kim::base64_decode_fixed<kim::crypto::public_key_size>(r.public_key);
    ASSERT_TRUE(by_id.count(a.identity()));
    EXPECT_EQ(by_id.at(a.identity()), a.key().public_key);
    for (const auto& r : keys.replicas) {
        if (r.id == a.identity()) {
            EXPECT_EQ(r.site, "site-audit");
        }
        EXPECT_NE(r.id, au.identity()) << "users are not replicas";
    }

    // The whole log: every signature with its origin's key, the global chain.
    const auto log = whole_log(port(), au.token(), 1000, 0);
    kim::Hash32 chain{};
    std::size_t mine = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
        EXPECT_EQ(log[i].server_seq, i + 1);
        const Change c = kim::change_from_json(log[i].change);
        ASSERT_TRUE(by_id.count(c.origin)) << c.origin;
        EXPECT_TRUE(kim::verify_change_signature(c, by_id.at(c.origin))) << c.id();
        chain = kim::crypto::blake2b256(chain, kim::change_hash(c));
        EXPECT_EQ(log[i].chain, kim::base64_encode(chain)) << c.id();
        if (c.origin == a.identity()) {
            EXPECT_EQ(log[i].change, kim::change_to_json(pushed[mine], /*with_ct=*/false));
            ++mine;
        }
    }
    EXPECT_EQ(mine, 3u);

    const HttpResponse list = get(port(), std::string(kim::protocol::path_audit_checkpoints), au.token());
    ASSERT_EQ(list.status, 200) << list.body;
    for (const auto& c : kim::protocol::checkpoint_list_from_json(list.json()).checkpoints) {
        EXPECT_TRUE(kim::verify_checkpoint(c, *server_key));
    }
}

TEST_F(audit_api, other_roles_get_403_and_no_token_401) {
    ProtocolClient replica = enrolled("hamborn-a", "site-audit-roles");
    const ProtocolClient coordinator = signed_in_user(server(), unique("lagebild"), "coordinator");
    const std::vector<std::pair<std::string, std::string>> endpoints{
        {"GET", std::string(kim::protocol::path_audit_keys)},
        {"GET", std::string(kim::protocol::path_audit_log)},
        {"GET", std::string(kim::protocol::path_audit_log) + "?since=0&limit=10&ciphertexts=1"},
        {"GET", std::string(kim::protocol::path_audit_checkpoints)},
        {"POST", std::string(kim::protocol::path_audit_checkpoints)}};
    for (const auto& [method, target] : endpoints) {
        for (const std::string& token : {replica.token(), coordinator.token()}) {
            const HttpResponse r = method == "GET" ? get(port(), target, token) : post(port(), target, token);
            EXPECT_EQ(r.status, 403) << method << " " << target << ": " << r.body;
            EXPECT_EQ(r.json().at("error"), "forbidden");
            EXPECT_NE(r.json().at("message").get<std::string>().find("auditor"), std::string::npos) << r.body;
        }
        const HttpResponse none = method == "GET" ? get(port(), target, "") : post(port(), target, "");
        EXPECT_EQ(none.status, 401) << method << " " << target;
        EXPECT_EQ(none.json().at("error"), "unauthenticated");
    }
}

TEST_F(audit_api, pages_and_the_ciphertexts_flag) {
    ProtocolClient a = enrolled("hamborn-a", "site-audit-pages");
    const auto pushed = push_cases(a, 7);
    const ProtocolClient au = auditor();
    int pages = 0;
    const auto small_pages = whole_log(port(), au.token(), 2, 0, &pages);
    const auto one_page = whole_log(port(), au.token(), 5000, 0);
    ASSERT_EQ(small_pages.size(), one_page.size());
    EXPECT_EQ(pages, static_cast<int>((one_page.size() + 1) / 2));
    for (std::size_t i = 0; i < one_page.size(); ++i) {
        EXPECT_EQ(small_pages[i].server_seq, i + 1);
        EXPECT_EQ(kim::protocol::to_json(small_pages[i]), kim::protocol::to_json(one_page[i]));
    }

    const auto with_ct = whole_log(port(), au.token(), 5000, 1);
    ASSERT_EQ(with_ct.size(), one_page.size());
    std::size_t mine = 0;
    for (std::size_t i = 0; i < with_ct.size(); ++i) {
        if (with_ct[i].change.at("origin") != a.identity()) continue;
        EXPECT_EQ(with_ct[i].change, kim::change_to_json(pushed[mine], /*with_ct=*/true));
        EXPECT_EQ(one_page[i].change, kim::change_to_json(pushed[mine], /*with_ct=*/false));
        ++mine;
    }
    EXPECT_EQ(mine, 7u);

    // Defaults: since 0, limit 1000, no ciphertexts; last_seq the log's length.
    const HttpResponse plain = get(port(), std::string(kim::protocol::path_audit_log), au.token());
    ASSERT_EQ(plain.status, 200) << plain.body;
    const auto page = kim::protocol::audit_log_page_from_json(plain.json());
    EXPECT_EQ(page.entries.size(), std::min<std::size_t>(one_page.size(), 1000));
    EXPECT_EQ(page.last_seq, one_page.size());
    EXPECT_EQ(plain.body.find("\"ct\":"), std::string::npos);
}

TEST_F(audit_api, a_checkpoint_on_request_names_the_tip_and_is_not_repeated) {
    ProtocolClient a = enrolled("hamborn-a", "site-audit-cp");
    push_cases(a, 2);
    const ProtocolClient au = auditor();
    const auto keys = kim::protocol::audit_keys_from_json(
        get(port(), std::string(kim::protocol::path_audit_keys), au.token()).json());
    const auto server_key = *kim::base64_decode_fixed<kim::crypto::public_key_size>(keys.server_key);

    const HttpResponse first = post(port(), std::string(kim::protocol::path_audit_checkpoints), au.token());
    ASSERT_EQ(first.status, 200) << first.body;
    const kim::Checkpoint cp = kim::checkpoint_from_json(first.json());
    EXPECT_TRUE(kim::verify_checkpoint(cp, server_key));
    const auto log = whole_log(port(), au.token(), 5000, 0);
    ASSERT_EQ(cp.server_seq, log.size());
    EXPECT_EQ(kim::base64_encode(cp.chain), log.back().chain);

    // The same tip: the same checkpoint, also for `{}` as the body.
    const HttpResponse again = post(port(), std::string(kim::protocol::path_audit_checkpoints), au.token(), "{}");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json(), first.json());
    const auto list = kim::protocol::checkpoint_list_from_json(
        get(port(), std::string(kim::protocol::path_audit_checkpoints), au.token()).json());
    ASSERT_FALSE(list.checkpoints.empty());
    EXPECT_EQ(kim::to_json(list.checkpoints.back()), first.json());
    std::set<std::uint64_t> positions;
    for (const auto& c : list.checkpoints) EXPECT_TRUE(positions.insert(c.server_seq).second) << "one per position";

    const HttpResponse with_body =
        post(port(), std::string(kim::protocol::path_audit_checkpoints), au.token(), R"({"server_seq": 1})");
    EXPECT_EQ(with_body.status, 400) << with_body.body;
    EXPECT_EQ(with_body.json().at("error"), "bad_request");
}

TEST_F(audit_api, bad_query_parameters_are_400_with_a_clear_message) {
    const ProtocolClient au = auditor();
    const std::string log(kim::protocol::path_audit_log);
    const std::vector<std::pair<std::string, std::string>> cases{
        {log + "?limit=0", "limit"},
        {log + "?limit=5001", "limit"},
        {log + "?limit=ten", "limit"},
        {log + "?since=-1", "since"},
        {log + "?since=9223372036854775808", "since"},
        {log + "?ciphertexts=2", "ciphertexts"},
        {log + "?ciphertexts=yes", "ciphertexts"},
        {log + "?since=1&since=2", "since"},
        {log + "?offset=3", "offset"},
        {std::string(kim::protocol::path_audit_keys) + "?site=x", "site"},
        {std::string(kim::protocol::path_audit_checkpoints) + "?since=3", "since"}};
    for (const auto& [target, named] : cases) {
        const HttpResponse r = get(port(), target, au.token());
        EXPECT_EQ(r.status, 400) << target << ": " << r.body;
        EXPECT_EQ(r.json().at("error"), "bad_request") << target;
        EXPECT_NE(r.json().at("message").get<std::string>().find(named), std::string::npos) << target << ": " << r.body;
    }
}

TEST_F(audit_api, an_erasure_purges_the_ciphertexts_served_to_the_auditor) {
    ProtocolClient a = enrolled("hamborn-a", "site-audit-erase");
    const auto pushed = push_cases(a, 2);
    Change erase;
    erase.origin = a.identity();
    erase.seq = a.next_seq();
    erase.site = a.site();
    erase.record = pushed[0].record;
    erase.kind = "case";
    erase.hlc = kim::hlc_pack(kim::system_millis(), 0);
    erase.prev = a.tip_hash();
    kim::FieldOp flag;
    flag.field = "_erased";
    flag.value = true;
    erase.ops = {flag};
    a.seal_and_advance(erase);
    ASSERT_EQ(a.push({erase}).status, 200);

    const ProtocolClient au = auditor();
    std::size_t seen = 0;
    for (const auto& e : whole_log(port(), au.token(), 5000, 1)) {
        if (e.change.at("origin") != a.identity()) continue;
        const Change c = kim::change_from_json(e.change);
        if (c.seq == 1) {
            EXPECT_EQ(e.change, kim::change_to_json(pushed[0], /*with_ct=*/false)) << "purged";
        } else if (c.seq == 2) {
            EXPECT_EQ(e.change, kim::change_to_json(pushed[1], /*with_ct=*/true)) << "another case";
        }
        EXPECT_TRUE(kim::verify_change_signature(c, a.key().public_key));
        ++seen;
    }
    EXPECT_EQ(seen, 3u);
    const std::string metrics = http_request(port(), "GET", "/metrics").body;
    EXPECT_EQ(metrics.find("kim_ciphertexts_purged_total 0\n"), std::string::npos) << "counted";
    EXPECT_NE(metrics.find("kim_ciphertexts_purged_total "), std::string::npos);
}

// A server of its own: its log holds only this test's changes.
TEST(audit_api_interval, serve_checkpoint_every_5_signs_at_5_and_10) {
    kim::test::TempDir dir("kimserver-cp");
    kim::test::ServerProcess server(KIM_SERVER_BINARY, dir.path() / "data");
    EXPECT_THROW(server.start({"--checkpoint-every", "0"}), std::exception);
    server.start({"--checkpoint-every", "5"});
    ProtocolClient a(server.port(), "hamborn-a", "hamborn");
    server.enrol_replica(a.identity(), a.site(), a.public_key_base64());
    a.authenticate();
    push_cases(a, 4);
    push_cases(a, 4);  // crosses 5
    push_cases(a, 4);  // crosses 10; 12 in all
    const ProtocolClient au = signed_in_user(server, "pruefer", "auditor");
    const auto keys = kim::protocol::audit_keys_from_json(
        get(server.port(), std::string(kim::protocol::path_audit_keys), au.token()).json());
    const auto server_key = *kim::base64_decode_fixed<kim::crypto::public_key_size>(keys.server_key);
    const HttpResponse r = get(server.port(), std::string(kim::protocol::path_audit_checkpoints), au.token());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto list = kim::protocol::checkpoint_list_from_json(r.json()).checkpoints;
    ASSERT_EQ(list.size(), 2u) << r.body;
    EXPECT_EQ(list[0].server_seq, 5u);
    EXPECT_EQ(list[1].server_seq, 10u);
    const auto log = whole_log(server.port(), au.token(), 5000, 0);
    ASSERT_EQ(log.size(), 12u);
    for (const auto& c : list) {
        EXPECT_TRUE(kim::verify_checkpoint(c, server_key)) << c.server_seq;
        EXPECT_EQ(kim::base64_encode(c.chain), log[c.server_seq - 1].chain) << c.server_seq;
    }
}

}  // namespace
