// The stats service on a real SQLite store: who may ask, how a question is
// checked, how the table is laid out around the store's counts (every value
// of a list, margins, total), and its JSON and CSV forms.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "server_test_support.hpp"
#include "stats/stats_format.hpp"
#include "stats/stats_service.hpp"

namespace {

using kim::Change;
using kim::FieldOp;
using kim::server::Caller;
using kim::server::stats::Parameters;
using kim::server::stats::StatsService;
using kim::server::stats::Table;
using kim::test::TestReplica;
using nlohmann::json;

Caller coordinator() { return {"coord", kim::protocol::Role::coordinator, ""}; }

class StatsServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        store_ = kim::test::fresh_store(dir_);
        store_->add_replica(hamborn_.enrolment());
        store_->add_replica(hochfeld_.enrolment());
    }

    // Stores cases of `replica` with these clear fields (sorted by name).
    void add_cases(TestReplica& replica, int n, const std::vector<std::pair<std::string, std::string>>& fields) {
        auto tx = store_->begin_append();
        for (int i = 0; i < n; ++i) {
            const Change c = replica.next_change([&](Change& draft) {
                draft.ops.resize(1);  // keep the encrypted name, drop the default phase
                for (const auto& [field, value] : fields) {
                    FieldOp op;
                    op.field = field;
                    op.value = value;
                    draft.ops.push_back(op);
                }
                std::sort(draft.ops.begin(), draft.ops.end(),
                          [](const FieldOp& a, const FieldOp& b) { return a.field < b.field; });
            });
            tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump());
        }
        tx->commit();
    }

    Table ask(const Parameters& parameters, std::uint64_t k = 3) {
        StatsService service(*store_, kim::Catalogue::builtin(), k);
        return service.table(coordinator(), parameters);
    }

    kim::test::TempDir dir_;
    std::unique_ptr<kim::server::Store> store_;
    TestReplica hamborn_{"hamborn-a", "hamborn"};
    TestReplica hochfeld_{"hochfeld-a", "hochfeld"};
};

TEST_F(StatsServiceTest, only_a_coordinator_may_ask) {
    StatsService service(*store_, kim::Catalogue::builtin());
    EXPECT_THROW(service.table(hamborn_.caller(), {{"by", "phase"}}), kim::PermissionError);
    EXPECT_THROW(service.table({"audit", kim::protocol::Role::auditor, ""}, {{"by", "phase"}}), kim::PermissionError);
    EXPECT_NO_THROW(service.table(coordinator(), {{"by", "phase"}}));
}

TEST_F(StatsServiceTest, k_below_two_or_absurdly_high_is_refused) {
    EXPECT_THROW(StatsService(*store_, kim::Catalogue::builtin(), 1), kim::InputError);
    EXPECT_THROW(StatsService(*store_, kim::Catalogue::builtin(), 1001), kim::InputError);
}

TEST_F(StatsServiceTest, a_list_field_shows_every_value_in_catalogue_order_and_missing_values_last) {
    add_cases(hamborn_, 4, {{"phase", "linking"}});
    add_cases(hamborn_, 3, {});  // no phase
    const Table t = ask({{"by", "phase"}});
    ASSERT_EQ(t.dimensions.size(), 1u);
    const auto& values = t.dimensions[0].values;
    ASSERT_EQ(values.size(), 8u);
    EXPECT_EQ(values.front(), "intake");
    EXPECT_EQ(values[6], "closed");
    EXPECT_EQ(values.back(), std::nullopt);
    EXPECT_EQ(t.cells[3].count, 4u);  // linking
    EXPECT_EQ(t.cells[7].count, 3u);  // without a phase
    EXPECT_EQ(t.total.count, 7u);
    EXPECT_TRUE(t.margins.empty());
}

TEST_F(StatsServiceTest, sites_and_quarters_show_the_values_present_sorted) {
    add_cases(hochfeld_, 3, {{"opened_quarter", "2026-Q2"}});
    add_cases(hamborn_, 4, {{"opened_quarter", "2025-Q4"}});
    const Table t = ask({{"by", "site,opened_quarter"}});
    ASSERT_EQ(t.dimensions.size(), 2u);
    EXPECT_EQ(t.dimensions[0].values, (std::vector<std::optional<std::string>>{"hamborn", "hochfeld"}));
    EXPECT_EQ(t.dimensions[1].values, (std::vector<std::optional<std::string>>{"2025-Q4", "2026-Q2"}));
    // hamborn/2025-Q4 = 4, hamborn/2026-Q2 = 0, hochfeld/2025-Q4 = 0, hochfeld/2026-Q2 = 3
    EXPECT_EQ(t.cells[0].count, 4u);
    EXPECT_EQ(t.cells[1].count, 0u);
    EXPECT_EQ(t.cells[3].count, 3u);
    EXPECT_EQ(t.margins[0][0].count, 4u);
    EXPECT_EQ(t.margins[1][1].count, 3u);
    EXPECT_EQ(t.total.count, 7u);
}

TEST_F(StatsServiceTest, a_filter_on_a_dimension_narrows_its_values) {
    add_cases(hamborn_, 3, {{"phase", "closed"}});
    add_cases(hamborn_, 5, {{"phase", "intake"}});
    const Table t = ask({{"by", "phase"}, {"phase", "!closed"}});
    for (const auto& v : t.dimensions[0].values) EXPECT_NE(v, "closed");
    EXPECT_EQ(t.total.count, 5u);
    const Table only = ask({{"by", "phase"}, {"phase", "intake,planning"}});
    EXPECT_EQ(only.dimensions[0].values, (std::vector<std::optional<std::string>>{"intake", "planning"}));
}

TEST_F(StatsServiceTest, the_need_table_is_handlungsfeld_by_level) {
    add_cases(hamborn_, 3, {{"need.wohnen", "2"}, {"need.arbeit", "3"}});
    const Table t = ask({{"by", "need"}});
    ASSERT_EQ(t.dimensions.size(), 2u);
    EXPECT_EQ(t.dimensions[0].name, "need");
    EXPECT_EQ(t.dimensions[1].name, "level");
    EXPECT_EQ(t.dimensions[0].values.size(), 12u);
    EXPECT_EQ(t.dimensions[1].values, (std::vector<std::optional<std::string>>{"0", "1", "2", "3"}));
    EXPECT_EQ(t.total.count, 6u) << "needs, not cases";
}

TEST_F(StatsServiceTest, a_suppressed_number_leaves_no_trace) {
    add_cases(hamborn_, 1, {{"phase", "intake"}});
    add_cases(hamborn_, 7, {{"phase", "planning"}});
    add_cases(hamborn_, 9, {{"phase", "linking"}});
    const Table t = ask({{"by", "phase"}});
    EXPECT_TRUE(t.cells[0].suppressed);
    EXPECT_EQ(t.cells[0].count, 0u);
    EXPECT_TRUE(t.cells[2].suppressed) << "the smallest other cell, or total − rest gives the first away";
    EXPECT_EQ(t.cells[2].count, 0u);
    EXPECT_FALSE(t.cells[3].suppressed);
    const json j = kim::server::stats::table_to_json(t);
    EXPECT_EQ(j.at("cells").at(0), json({{"phase", "intake"}, {"count", nullptr}, {"suppressed", true}}));
    EXPECT_EQ(j.at("cells").at(3), json({{"phase", "linking"}, {"count", 9}}));
    EXPECT_EQ(j.at("total"), json({{"count", 17}}));
    EXPECT_EQ(j.dump().find("\"count\":1,"), std::string::npos);
}

TEST_F(StatsServiceTest, k_is_the_servers) {
    add_cases(hamborn_, 4, {{"phase", "intake"}});
    add_cases(hamborn_, 6, {{"phase", "planning"}});
    EXPECT_FALSE(ask({{"by", "phase"}}, 3).cells[0].suppressed);
    const Table strict = ask({{"by", "phase"}}, 5);
    EXPECT_EQ(strict.k, 5u);
    EXPECT_TRUE(strict.cells[0].suppressed);
}

TEST_F(StatsServiceTest, csv_has_cells_then_margins_then_the_total) {
    add_cases(hamborn_, 3, {{"phase", "intake"}, {"sex", "female"}});
    add_cases(hamborn_, 4, {{"phase", "intake"}});
    const Table t = ask({{"by", "phase,sex"}, {"phase", "intake"}, {"sex", "!male,diverse,unknown"}});
    EXPECT_EQ(kim::server::stats::table_to_csv(t),
              "phase,sex,count,suppressed\r\n"
              "intake,female,3,no\r\n"
              "intake,,4,no\r\n"
              "intake,*,7,no\r\n"
              "*,female,3,no\r\n"
              "*,,4,no\r\n"
              "*,*,7,no\r\n");
    EXPECT_EQ(kim::server::stats::csv_file_name(t), "kim-stats-cases-phase-sex.csv");
}

TEST_F(StatsServiceTest, a_table_of_more_than_2500_cells_is_refused) {
    for (int i = 0; i < 51; ++i) {
        const std::string quarter = std::to_string(2000 + i / 4) + "-Q" + std::to_string(1 + i % 4);
        add_cases(hamborn_, 1, {{"closed_quarter", quarter}, {"opened_quarter", quarter}});
    }
    try {
        ask({{"by", "opened_quarter,closed_quarter"}});
        FAIL() << "a 51 x 51 table was answered";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("2601 cells"), std::string::npos) << e.what();
    }
    EXPECT_EQ(ask({{"by", "opened_quarter"}}).cells.size(), 51u);
}

TEST_F(StatsServiceTest, every_malformed_question_names_what_is_allowed) {
    const std::vector<Parameters> refused = {
        {},
        {{"by", "name"}},
        {{"by", "phase,sex,age_band"}},
        {{"by", "need,phase"}},
        {{"by", "phase"}, {"need", "wohnen"}},
        {{"count", "goals"}, {"by", "phase"}},
        {{"by", "phase"}, {"phase", "intake,,closed"}},
        {{"by", "phase"}, {"closed_quarter", "Q3-2026"}},
        {{"by", "phase"}, {"limit", "3"}},
    };
    StatsService service(*store_, kim::Catalogue::builtin());
    for (const auto& p : refused) {
        EXPECT_THROW(service.table(coordinator(), p), kim::InputError) << json(p).dump();
    }
    EXPECT_NO_THROW(service.table(coordinator(), {{"count", "goals"}, {"by", "field,status"}}));
    EXPECT_NO_THROW(service.table(coordinator(), {{"count", "contacts"}, {"by", "mode"}, {"interpreter", "!none"}}));
    EXPECT_NO_THROW(service.table(coordinator(), {{"count", "consents"}, {"by", "scope,withdrawn"}}));
}

}  // namespace
