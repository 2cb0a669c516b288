// GET /v1/stats on the real kim-server (docs/protocol.md "Statistics"):
// coordinators only, counts from the merged clear fields of changes pushed
// by replicas, small cells suppressed (with their give-aways), JSON and CSV,
// and a clear 400 for every malformed question. Each test counts on its own
// site, filtered by `site=`, so that the suite's tests never see each other.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kim/shared/hlc.hpp"
#include "server_fixture.hpp"

namespace {

using kim::Change;
using kim::FieldOp;
using kim::test::HttpResponse;
using kim::test::ProtocolClient;
using kim::test::http_request;
using nlohmann::json;

class stats_api : public kim::test::ServerSuite {
protected:
    // A coordinator signed in by challenge–response with an enrolled key.
    static const std::string& coordinator_token() {
        static const std::string token = [] {
            ProtocolClient user(port(), unique("coord"), "");
            server().admin({"user", "add", user.identity(), "--role", "coordinator", "--pubkey", user.public_key_base64()});
            user.authenticate();
            return user.token();
        }();
        return token;
    }

    static HttpResponse get(const std::string& target, const std::string& token,
                            const kim::test::Headers& extra = {}) {
        kim::test::Headers headers = extra;
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        return http_request(port(), "GET", target, "", headers);
    }
};

FieldOp clear(const std::string& field, const json& value, std::vector<std::string> parents = {}) {
    FieldOp op;
    op.field = field;
    op.value = value;
    op.parents = std::move(parents);
    return op;
}

// The next change of `replica`'s chain: `ops` (sorted by field) on `record`, sealed.
Change next_change(ProtocolClient& replica, const std::string& record, const std::string& kind, std::vector<FieldOp> ops) {
    Change c;
    c.origin = replica.identity();
    c.seq = replica.next_seq();
    c.site = replica.site();
    c.record = record;
    c.kind = kind;
    c.hlc = kim::hlc_pack(kim::system_millis(), 0);
    c.ops = std::move(ops);
    c.prev = replica.tip_hash();
    replica.seal_and_advance(c);
    return c;
}

// A new case with the given statistical fields (and no confidential one:
// the server counts clear fields only).
Change new_case(ProtocolClient& replica, const std::map<std::string, std::string>& fields) {
    std::vector<FieldOp> ops;
    for (const auto& [field, value] : fields) ops.push_back(clear(field, value));  // std::map: sorted
    return next_change(replica, kim::test::new_record_id(), "case", std::move(ops));
}

// An edit of one field of `record`, superseding the changes `parents`.
Change edit(ProtocolClient& replica, const std::string& record, const std::string& kind, const std::string& field,
            const json& value, const std::vector<std::string>& parents) {
    return next_change(replica, record, kind, {clear(field, value, parents)});
}

Change erase_case(ProtocolClient& replica, const std::string& record) {
    return next_change(replica, record, "case", {clear("_erased", true)});
}

Change new_referral(ProtocolClient& replica, const std::string& case_id, const std::string& target,
                    const std::string& outcome) {
    return next_change(replica, kim::test::new_record_id(), "referral",
                       {clear("case", case_id), clear("outcome", outcome), clear("target_type", target)});
}

// The cells of a 1-D answer: value → count, or nullopt when suppressed.
std::map<std::string, std::optional<std::uint64_t>> cells_1d(const json& answer, const std::string& dimension) {
    std::map<std::string, std::optional<std::uint64_t>> cells;
    for (const auto& cell : answer.at("cells")) {
        const std::string key = cell.at(dimension).is_null() ? "" : cell.at(dimension).get<std::string>();
        if (cell.value("suppressed", false)) {
            EXPECT_TRUE(cell.at("count").is_null()) << cell;
            cells[key] = std::nullopt;
        } else {
            cells[key] = cell.at("count").get<std::uint64_t>();
        }
    }
    return cells;
}

TEST_F(stats_api, only_coordinators_may_read_the_figures) {
    ProtocolClient replica = enrolled("hamborn-a", unique("site-roles"));
    EXPECT_EQ(get("/v1/stats?by=phase", replica.token()).status, 403);

    ProtocolClient auditor(port(), unique("auditor"), "");
    server().admin({"user", "add", auditor.identity(), "--role", "auditor", "--pubkey", auditor.public_key_base64()});
    auditor.authenticate();
    const HttpResponse by_auditor = get("/v1/stats?by=phase", auditor.token());
    EXPECT_EQ(by_auditor.status, 403);
    EXPECT_EQ(by_auditor.json().at("error"), "forbidden");

    EXPECT_EQ(get("/v1/stats?by=phase", "").status, 401);
    EXPECT_EQ(get("/v1/stats?by=phase", "kim1.forged.token").status, 401);
    EXPECT_EQ(get("/v1/stats?by=phase", coordinator_token()).status, 200);
}

TEST_F(stats_api, counts_follow_edits_and_leave_erased_cases_out) {
    ProtocolClient a = enrolled("hamborn-a", unique("site-counts"));
    std::vector<Change> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(new_case(a, {{"phase", "intake"}, {"sex", "female"}}));
    for (int i = 0; i < 3; ++i) batch.push_back(new_case(a, {{"phase", "planning"}}));
    ASSERT_EQ(a.push(batch).status, 200);
    const std::string site = a.site();

    json answer = get("/v1/stats?count=cases&by=phase&site=" + site, coordinator_token()).json();
    auto cells = cells_1d(answer, "phase");
    EXPECT_EQ(cells.at("intake"), 5u);
    EXPECT_EQ(cells.at("planning"), 3u);
    EXPECT_EQ(cells.at("closed"), 0u) << "every value of the list, also the empty ones";
    EXPECT_EQ(answer.at("total").at("count"), 8);
    EXPECT_EQ(answer.at("k"), 3);

    // One intake case moves on to linking: a cell of 1 appears, and with it
    // the smallest other cell must go too, or total − the rest gives it away.
    ASSERT_EQ(a.push({edit(a, batch[0].record, "case", "phase", "linking", {batch[0].id()})}).status, 200);
    answer = get("/v1/stats?count=cases&by=phase&site=" + site, coordinator_token()).json();
    cells = cells_1d(answer, "phase");
    EXPECT_EQ(cells.at("linking"), std::nullopt);
    EXPECT_EQ(cells.at("planning"), std::nullopt) << "secondary suppression: the smallest other cell";
    EXPECT_EQ(cells.at("intake"), 4u);
    EXPECT_EQ(answer.at("total").at("count"), 8);

    // Erasing that case takes it out of every count.
    ASSERT_EQ(a.push({erase_case(a, batch[0].record)}).status, 200);
    answer = get("/v1/stats?count=cases&by=phase&site=" + site, coordinator_token()).json();
    cells = cells_1d(answer, "phase");
    EXPECT_EQ(cells.at("linking"), 0u);
    EXPECT_EQ(cells.at("intake"), 4u);
    EXPECT_EQ(cells.at("planning"), 3u);
    EXPECT_EQ(answer.at("total").at("count"), 7);
}

TEST_F(stats_api, a_two_way_table_suppresses_cells_that_the_margins_would_give_away) {
    ProtocolClient a = enrolled("hochfeld-a", unique("site-2way"));
    std::vector<Change> batch;
    const auto add = [&](const std::string& phase, const std::string& sex, int n) {
        for (int i = 0; i < n; ++i) batch.push_back(new_case(a, {{"phase", phase}, {"sex", sex}}));
    };
    add("intake", "female", 6);
    add("intake", "male", 5);
    add("planning", "female", 4);
    add("planning", "male", 1);  // alone: row and column totals would give it away
    ASSERT_EQ(a.push(batch).status, 200);

    const json answer =
        get("/v1/stats?by=phase,sex&phase=intake,planning&sex=female,male&site=" + a.site(), coordinator_token()).json();
    ASSERT_EQ(answer.at("dimensions").at(0).at("values"), json({"intake", "planning"})) << answer;
    ASSERT_EQ(answer.at("dimensions").at(1).at("values"), json({"female", "male"})) << answer;
    std::map<std::pair<std::string, std::string>, json> cells;
    for (const auto& cell : answer.at("cells")) cells[{cell.at("phase"), cell.at("sex")}] = cell;
    // With one cell of four suppressed, the other three and the margins pin
    // it; only the whole 2x2 cycle keeps it unknown.
    for (const auto& [key, cell] : cells) {
        EXPECT_TRUE(cell.value("suppressed", false)) << key.first << "/" << key.second << ": " << answer;
    }
    EXPECT_EQ(answer.at("total").at("count"), 16);
    EXPECT_EQ(answer.at("margins").at("phase").at(0).at("count"), 11);
    EXPECT_EQ(answer.at("margins").at("sex").at(1).at("count"), 6);
}

TEST_F(stats_api, referrals_are_counted_per_record_and_go_with_an_erased_case) {
    ProtocolClient a = enrolled("rheinhausen-a", unique("site-ref"));
    std::vector<Change> batch;
    const Change kept = new_case(a, {{"phase", "linking"}});
    const Change erased = new_case(a, {{"phase", "linking"}});
    batch = {kept, erased};
    for (int i = 0; i < 3; ++i) batch.push_back(new_referral(a, kept.record, "jobcenter", "successful"));
    for (int i = 0; i < 4; ++i) batch.push_back(new_referral(a, erased.record, "jobcenter", "pending"));
    ASSERT_EQ(a.push(batch).status, 200);
    const std::string target = "/v1/stats?count=referrals&by=outcome&site=" + a.site();
    auto cells = cells_1d(get(target, coordinator_token()).json(), "outcome");
    EXPECT_EQ(cells.at("successful"), 3u);
    EXPECT_EQ(cells.at("pending"), 4u);

    ASSERT_EQ(a.push({erase_case(a, erased.record)}).status, 200);
    cells = cells_1d(get(target, coordinator_token()).json(), "outcome");
    EXPECT_EQ(cells.at("successful"), 3u);
    EXPECT_EQ(cells.at("pending"), 0u) << "the referrals of an erased case are erased with it";
}

TEST_F(stats_api, csv_on_request_with_margins_and_total) {
    ProtocolClient a = enrolled("hamborn-a", unique("site-csv"));
    std::vector<Change> batch;
    for (int i = 0; i < 3; ++i) batch.push_back(new_case(a, {{"phase", "intake"}}));
    for (int i = 0; i < 4; ++i) batch.push_back(new_case(a, {{"phase", "monitoring"}}));
    ASSERT_EQ(a.push(batch).status, 200);
    const std::string query = "by=site,phase&phase=intake,monitoring&site=" + a.site();

    const HttpResponse by_format = get("/v1/stats?" + query + "&format=csv", coordinator_token());
    ASSERT_EQ(by_format.status, 200) << by_format.body;
    EXPECT_EQ(by_format.headers.at("content-type"), "text/csv; charset=utf-8");
    EXPECT_NE(by_format.headers.at("content-disposition").find("kim-stats-cases-site-phase.csv"), std::string::npos);
    const std::string expected = "site,phase,count,suppressed\r\n" +
                                 a.site() + ",intake,3,no\r\n" +
                                 a.site() + ",monitoring,4,no\r\n" +
                                 a.site() + ",*,7,no\r\n"
                                 "*,intake,3,no\r\n"
                                 "*,monitoring,4,no\r\n"
                                 "*,*,7,no\r\n";
    EXPECT_EQ(by_format.body, expected);

    const HttpResponse by_accept = get("/v1/stats?" + query, coordinator_token(), {{"Accept", "text/csv"}});
    EXPECT_EQ(by_accept.body, expected);
}

TEST_F(stats_api, percent_encoded_questions_as_browsers_send_them) {
    ProtocolClient a = enrolled("hamborn-a", unique("site-enc"));
    std::vector<Change> batch;
    for (int i = 0; i < 3; ++i) batch.push_back(new_case(a, {{"phase", "intake"}}));
    batch.push_back(new_case(a, {{"phase", "closed"}}));
    ASSERT_EQ(a.push(batch).status, 200);
    const HttpResponse r = get("/v1/stats?by=site%2Cphase&phase=%21closed&site=" + a.site(), coordinator_token());
    ASSERT_EQ(r.status, 200) << r.body;
    const json answer = r.json();
    EXPECT_EQ(answer.at("total").at("count"), 3);
    for (const auto& value : answer.at("dimensions").at(1).at("values")) EXPECT_NE(value, "closed");
}

TEST_F(stats_api, malformed_questions_are_refused_with_what_is_allowed) {
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"/v1/stats", "by="},
        {"/v1/stats?by=name", "not a dimension"},
        {"/v1/stats?by=birth_date", "not a dimension"},
        {"/v1/stats?by=case", "not a dimension"},
        {"/v1/stats?by=phase,sex,age_band", "at most two"},
        {"/v1/stats?by=phase,phase", "twice"},
        {"/v1/stats?by=need,phase", "need"},
        {"/v1/stats?count=people&by=phase", "count=cases"},
        {"/v1/stats?count=referrals&by=phase", "not a dimension"},
        {"/v1/stats?by=phase&phase=sleeping", "not one of"},
        {"/v1/stats?by=phase&opened_quarter=2026-Q5", "quarter"},
        {"/v1/stats?by=phase&site=Not%20A%20Site", "site"},
        {"/v1/stats?by=phase&site=duisburg-mitte", "no replica is enrolled for site 'duisburg-mitte'"},
        {"/v1/stats?by=phase&colour=red", "unknown parameter"},
        {"/v1/stats?by=phase&format=xml", "json or csv"},
        {"/v1/stats?by=phase&phase=intake&phase=closed", "twice"},
        {"/v1/stats?by=phase&phase=%zz", "%-escape"},
        {"/v1/stats?by=phase&phase=", "empty"},
    };
    for (const auto& [target, named] : refused) {
        const HttpResponse r = get(target, coordinator_token());
        EXPECT_EQ(r.status, 400) << target << ": " << r.body;
        if (r.status != 400) continue;
        EXPECT_EQ(r.json().at("error"), "bad_request");
        EXPECT_NE(r.json().at("message").get<std::string>().find(named), std::string::npos) << target << ": " << r.body;
    }
}

}  // namespace
