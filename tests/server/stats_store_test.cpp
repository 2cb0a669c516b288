// The store's counts for the statistics (Store::count_records) and the index
// behind them: merged values as the merge rules give them (heads, greatest
// (hlc, origin), independent of arrival order), erasures left out, filters
// and dimensions, and the catch-up of an index behind its log at open.
// Real store, real signed changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "server_test_support.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/sqlite/database.hpp"

namespace {

using kim::Change;
using kim::FieldOp;
using kim::server::stats::CountQuery;
using kim::server::stats::Filter;
using kim::test::TempDir;
using kim::test::TestReplica;

FieldOp clear(const std::string& field, nlohmann::json value, std::vector<std::string> parents = {}) {
    FieldOp op;
    op.field = field;
    op.value = std::move(value);
    op.parents = std::move(parents);
    return op;
}

FieldOp sealed(const Change& c, const std::string& field) {
    FieldOp op;
    op.field = field;
    op.ct = kim::crypto::aead_encrypt(kim::crypto::random_key(), kim::as_bytes("vertraulich"),
                                      kim::field_associated_data(c.origin, c.seq, c.record, field));
    return op;
}

std::uint64_t at(std::uint64_t millis) { return kim::hlc_pack(kim::test::test_now_millis - 3'600'000 + millis, 0); }

// Counts as "key|key" → count, "-" standing for no value.
using CountTable = std::map<std::string, std::uint64_t>;

CountTable table_of(const kim::server::stats::Counts& counts) {
    CountTable out;
    for (const auto& row : counts.rows) {
        std::string key;
        for (std::size_t i = 0; i < row.key.size(); ++i) key += (i ? "|" : "") + row.key[i].value_or("-");
        EXPECT_EQ(out.count(key), 0u) << "a group twice: " << key;
        out[key] = row.count;
    }
    return out;
}

class stats_store : public ::testing::Test {
protected:
    void SetUp() override {
        location = kim::test::fresh_store_location(dir);
        kim::server::create_store(location);
        store = kim::server::open_store(location);
    }

    void append(const std::vector<Change>& changes) {
        auto tx = store->begin_append();
        for (const auto& c : changes) tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump());
        tx->commit();
    }

    CountTable count(const std::string& kind, std::vector<std::string> by, std::vector<Filter> filters = {}) {
        return table_of(store->count_records(CountQuery{kind, std::move(by), std::move(filters)}));
    }

    // A new case of `r` with these clear fields (and an encrypted name).
    Change new_case(TestReplica& r, std::vector<FieldOp> fields, std::uint64_t hlc = 0) {
        return r.next_change([&](Change& c) {
            fields.push_back(sealed(c, "name"));
            c.ops = fields;
            if (hlc) c.hlc = hlc;
        });
    }

    // A new record of `kind` in case `case_id`.
    Change new_record(TestReplica& r, const std::string& kind, const std::string& case_id, std::vector<FieldOp> fields) {
        return r.next_change([&](Change& c) {
            c.kind = kind;
            fields.push_back(clear("case", case_id));
            c.ops = fields;
        });
    }

    Change edit(TestReplica& r, const Change& of, std::vector<FieldOp> fields, std::uint64_t hlc = 0) {
        return r.next_change([&](Change& c) {
            c.record = of.record;
            c.kind = of.kind;
            c.ops = fields;
            if (hlc) c.hlc = hlc;
        });
    }

    Change erasure(TestReplica& r, const Change& of) {
        return r.next_change([&](Change& c) {
            c.record = of.record;
            c.kind = of.kind;
            c.ops = {clear("_erased", true)};
        });
    }

    void reopen() {
        store.reset();
        store = kim::server::open_store(location);
    }

    TempDir dir;
    std::string location;
    std::unique_ptr<kim::server::Store> store;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica b{"hamborn-b", "hamborn"};
    TestReplica h{"hochfeld-a", "hochfeld"};
};

TEST_F(stats_store, an_empty_store_counts_nothing_as_of_zero) {
    const auto counts = store->count_records(CountQuery{"case", {"phase"}, {}});
    EXPECT_TRUE(counts.rows.empty());
    EXPECT_EQ(counts.as_of, 0u);
}

TEST_F(stats_store, an_edit_supersedes_its_parent) {
    const Change c = new_case(a, {clear("phase", "intake")});
    append({c, edit(a, c, {clear("phase", "planning", {c.id()})})});
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"planning", 1}}));
}

TEST_F(stats_store, concurrent_edits_show_the_greatest_hlc_then_origin) {
    const Change c = new_case(a, {clear("phase", "intake"), clear("sex", "female")}, at(1));
    const Change by_a = edit(a, c, {clear("phase", "linking", {c.id()}), clear("sex", "male", {c.id()})}, at(10));
    const Change by_b = edit(b, c, {clear("phase", "planning", {c.id()})}, at(20));
    // Same hlc on `sex`: the greater origin (hamborn-b) wins.
    const Change tie = edit(b, c, {clear("sex", "diverse", {c.id()})}, at(10));
    append({c, by_b, by_a, tie});
    EXPECT_EQ(count("case", {"phase", "sex"}), (CountTable{{"planning|diverse", 1}}));
}

TEST_F(stats_store, a_resolution_naming_both_heads_is_the_value_even_with_a_smaller_hlc) {
    const Change c = new_case(a, {clear("phase", "intake")}, at(1));
    const Change by_a = edit(a, c, {clear("phase", "linking", {c.id()})}, at(10));
    const Change by_b = edit(b, c, {clear("phase", "planning", {c.id()})}, at(20));
    append({c, by_a, by_b});
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"planning", 1}}));
    // An ordinary edit of the shown head only: the other head stays, and wins on hlc.
    const Change of_shown = edit(b, c, {clear("phase", "monitoring", {by_b.id()})}, at(5));
    append({of_shown});
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"linking", 1}}));
    const Change resolution = edit(a, c, {clear("phase", "evaluation", {by_a.id(), of_shown.id()})}, at(3));
    append({resolution});
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"evaluation", 1}}));
}

TEST_F(stats_store, a_case_created_on_one_laptop_and_edited_on_another) {
    const Change c = new_case(a, {clear("phase", "intake"), clear("age_band", "18_26")});
    append({c});
    append({edit(b, c, {clear("need.wohnen", "2"), clear("phase", "linking", {c.id()})})});
    EXPECT_EQ(count("case", {"phase", "age_band"}), (CountTable{{"linking|18_26", 1}}));
    EXPECT_EQ(count("case", {"need.wohnen"}), (CountTable{{"2", 1}}));
}

TEST_F(stats_store, a_record_counts_once_its_creating_change_is_stored) {
    const Change c = new_case(a, {clear("phase", "intake")});
    const Change r = new_record(a, "referral", c.record, {clear("outcome", "pending")});
    const Change later = edit(b, r, {clear("outcome", "successful", {r.id()})});
    append({c, later});  // came by file to hamborn-b, which pushed first
    EXPECT_TRUE(count("referral", {"outcome"}).empty());
    append({r});
    EXPECT_EQ(count("referral", {"outcome"}), (CountTable{{"successful", 1}}));
}

// The history of one case on three laptops: two concurrent edits, their
// resolution, and an edit of another field.
std::vector<Change> tangled_history(TestReplica& a, TestReplica& b, TestReplica& c3) {
    auto edit_of = [](TestReplica& r, const Change& of, std::vector<FieldOp> ops, std::uint64_t hlc) {
        return r.next_change([&](Change& c) {
            c.record = of.record;
            c.ops = ops;
            c.hlc = hlc;
        });
    };
    const Change a1 = a.next_change([&](Change& c) {
        c.ops = {clear("phase", "intake"), clear("sex", "female"), clear("need.kita", "1")};
        c.hlc = at(1);
    });
    const Change b1 = edit_of(b, a1, {clear("phase", "assessment", {a1.id()})}, at(10));
    const Change c1 = edit_of(c3, a1, {clear("phase", "planning", {a1.id()}), clear("need.kita", "3", {a1.id()})}, at(20));
    const Change a2 = edit_of(a, a1, {clear("phase", "linking", {b1.id(), c1.id()})}, at(15));
    const Change b2 = edit_of(b, a1, {clear("sex", "male", {a1.id()}), clear("need.kita", "2", {a1.id()})}, at(12));
    return {a1, a2, b1, b2, c1};
}

TEST_F(stats_store, any_arrival_order_gives_the_same_heads_and_counts) {
    TestReplica c3{"hamborn-c", "hamborn"};
    const auto history = tangled_history(a, b, c3);
    std::vector<std::size_t> order(history.size());
    std::iota(order.begin(), order.end(), 0);
    std::string first_heads;
    int orders = 0;
    do {
        TempDir d;
        const std::string where = kim::test::fresh_store_location(d);
        kim::server::create_store(where);
        auto s = kim::server::open_store(where);
        {
            auto tx = s->begin_append();
            for (auto i : order) tx->append(history[i], kim::change_hash(history[i]), kim::change_to_json(history[i]).dump());
            tx->commit();
        }
        const auto by_phase = table_of(s->count_records(CountQuery{"case", {"phase", "sex"}, {}}));
        EXPECT_EQ(by_phase, (CountTable{{"linking|male", 1}})) << "order " << orders;
        const auto needs = table_of(s->count_records(CountQuery{"case", {"need"}, {}}));
        // need.kita has two heads (3 from hamborn-c at 20, 2 from hamborn-b at 12).
        EXPECT_EQ(needs, (CountTable{{"kita|3", 1}})) << "order " << orders;
        s.reset();
        kim::test::StoreSql db(where);
        std::string heads;
        for (const auto& row : db.rows("SELECT field, origin, seq, value FROM stat_heads ORDER BY field, origin, seq")) {
            heads += row[0] + "=" + row[1] + ":" + row[2] + ":" + row[3] + " ";
        }
        if (orders == 0) first_heads = heads;
        EXPECT_EQ(heads, first_heads) << "order " << orders;
        EXPECT_EQ(db.rows("SELECT COUNT(*) FROM stat_early_parents").at(0).at(0), "0")
            << "every parent arrived; order " << orders;
        ++orders;
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(orders, 120);
    EXPECT_EQ(first_heads, "need.kita=hamborn-b:2:2 need.kita=hamborn-c:1:3 phase=hamborn-a:2:linking sex=hamborn-b:2:male ");
}

TEST_F(stats_store, erasing_a_case_leaves_out_the_case_and_its_records) {
    const Change kept = new_case(a, {clear("phase", "intake")});
    const Change gone = new_case(a, {clear("phase", "intake")});
    const Change r_kept = new_record(a, "referral", kept.record, {clear("outcome", "pending")});
    const Change r_gone = new_record(a, "referral", gone.record, {clear("outcome", "pending")});
    append({kept, gone, r_kept, r_gone, erasure(a, gone)});
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"intake", 1}}));
    EXPECT_EQ(count("referral", {"outcome"}), (CountTable{{"pending", 1}}));
    // A record of the erased case that arrives later is left out too.
    append({new_record(b, "goal", gone.record, {clear("status", "open")})});
    EXPECT_TRUE(count("goal", {"status"}).empty());
}

TEST_F(stats_store, erasing_one_referral_keeps_its_case_and_the_other_referrals) {
    const Change c = new_case(a, {clear("phase", "linking")});
    const Change r1 = new_record(a, "referral", c.record, {clear("target_type", "jobcenter")});
    const Change r2 = new_record(a, "referral", c.record, {clear("target_type", "housing")});
    append({c, r1, r2, erasure(b, r1)});
    EXPECT_EQ(count("referral", {"target_type"}), (CountTable{{"housing", 1}}));
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"linking", 1}}));
}

class stats_store_figures : public stats_store {
protected:
    void SetUp() override {
        stats_store::SetUp();
        const Change c1 = new_case(a, {clear("phase", "intake"), clear("need.wohnen", "2"), clear("need.kita", "1")});
        const Change c2 = new_case(a, {clear("phase", "closed"), clear("closure_reason", "goals_met"), clear("need.wohnen", "3")});
        const Change c3 = new_case(b, {clear("phase", "closed"), clear("closure_reason", "moved_away")});
        const Change c4 = new_case(h, {clear("phase", "intake")});
        const Change c5 = new_case(h, {clear("phase", "planning"), clear("need.wohnen", "2")});
        append({c1, c2, c3, c4, c5,
                new_record(a, "goal", c1.record, {clear("field", "wohnen"), clear("status", "open")}),
                new_record(a, "goal", c1.record, {clear("field", "kita"), clear("status", "achieved")}),
                new_record(h, "goal", c5.record, {clear("field", "wohnen")}),
                new_record(h, "contact", c5.record, {clear("mode", "phone"), clear("interpreter", "none")})});
    }
};

TEST_F(stats_store_figures, one_dimension_counts_records_without_the_field_under_no_value) {
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"intake", 2}, {"closed", 2}, {"planning", 1}}));
    EXPECT_EQ(count("case", {"closure_reason"}), (CountTable{{"goals_met", 1}, {"moved_away", 1}, {"-", 3}}));
}

TEST_F(stats_store_figures, site_and_two_dimensions) {
    EXPECT_EQ(count("case", {"site"}), (CountTable{{"hamborn", 3}, {"hochfeld", 2}}));
    EXPECT_EQ(count("case", {"site", "phase"}),
              (CountTable{{"hamborn|intake", 1}, {"hamborn|closed", 2}, {"hochfeld|intake", 1}, {"hochfeld|planning", 1}}));
    EXPECT_EQ(count("case", {"phase", "need.wohnen"}),
              (CountTable{{"intake|2", 1}, {"closed|3", 1}, {"closed|-", 1}, {"intake|-", 1}, {"planning|2", 1}}));
}

TEST_F(stats_store_figures, need_counts_each_need_a_case_has) {
    EXPECT_EQ(count("case", {"need"}), (CountTable{{"wohnen|2", 2}, {"wohnen|3", 1}, {"kita|1", 1}}));
    EXPECT_EQ(count("case", {"need"}, {Filter{"site", false, {"hochfeld"}}}), (CountTable{{"wohnen|2", 1}}));
}

TEST_F(stats_store_figures, filters_include_and_exclude) {
    EXPECT_EQ(count("case", {"site"}, {Filter{"phase", false, {"intake", "planning"}}}),
              (CountTable{{"hamborn", 1}, {"hochfeld", 2}}));
    // Records without closure_reason pass the exclusion and fail the inclusion.
    EXPECT_EQ(count("case", {"phase"}, {Filter{"closure_reason", true, {"goals_met"}}}),
              (CountTable{{"intake", 2}, {"closed", 1}, {"planning", 1}}));
    EXPECT_EQ(count("case", {"phase"}, {Filter{"closure_reason", false, {"goals_met", "moved_away"}}}), (CountTable{{"closed", 2}}));
    EXPECT_EQ(count("case", {"phase"}, {Filter{"site", true, {"hamborn"}}}), (CountTable{{"intake", 1}, {"planning", 1}}));
    // Several filters all hold.
    EXPECT_EQ(count("case", {"site"}, {Filter{"phase", true, {"closed"}}, Filter{"need.wohnen", false, {"2"}}}),
              (CountTable{{"hamborn", 1}, {"hochfeld", 1}}));
}

TEST_F(stats_store_figures, other_kinds_count_their_own_records) {
    EXPECT_EQ(count("goal", {"field", "status"}), (CountTable{{"wohnen|open", 1}, {"kita|achieved", 1}, {"wohnen|-", 1}}));
    EXPECT_EQ(count("goal", {"site"}), (CountTable{{"hamborn", 2}, {"hochfeld", 1}}));
    EXPECT_EQ(count("contact", {"mode", "interpreter"}), (CountTable{{"phone|none", 1}}));
    EXPECT_TRUE(count("referral", {"outcome"}).empty());
}

TEST_F(stats_store_figures, names_and_values_are_parameters_not_sql) {
    EXPECT_TRUE(count("case", {"phase' OR 1=1 --"}).size() == 1);  // one group: nobody has that field
    EXPECT_TRUE(count("case", {"phase"}, {Filter{"phase", false, {"x') OR ('1'='1"}}}).empty());
    EXPECT_TRUE(count("case'; DROP TABLE log; --", {"phase"}).empty());
    EXPECT_EQ(count("case", {"phase"}).size(), 3u);
}

TEST_F(stats_store_figures, as_of_is_the_last_server_seq) {
    EXPECT_EQ(store->count_records(CountQuery{"case", {"phase"}, {}}).as_of, 9u);
}

// What a store looks like when its index lags its log: the index emptied and
// its marker set back.
void empty_the_index(const std::string& location, std::int64_t marker) {
    kim::test::StoreSql db(location);
    db.exec("DELETE FROM stat_heads");
    db.exec("DELETE FROM stat_values");
    db.exec("DELETE FROM stat_early_parents");
    db.exec("UPDATE stat_index SET indexed_through = " + std::to_string(marker));
}

TEST_F(stats_store_figures, an_index_behind_its_log_is_caught_up_at_open) {
    const CountTable phases = count("case", {"site", "phase"});
    const CountTable needs = count("case", {"need"});
    store.reset();
    empty_the_index(location, 0);
    reopen();
    EXPECT_EQ(count("case", {"site", "phase"}), phases);
    EXPECT_EQ(count("case", {"need"}), needs);
    // Pushes go on from there.
    append({new_case(a, {clear("phase", "intake")})});
    EXPECT_EQ(count("case", {"phase"}), (CountTable{{"intake", 3}, {"closed", 2}, {"planning", 1}}));
}

TEST_F(stats_store_figures, an_index_ahead_of_a_log_cut_by_hand_is_rebuilt_at_open) {
    const CountTable phases = count("case", {"site", "phase"});
    store.reset();
    {
        kim::test::StoreSql db(location);
        db.exec("UPDATE stat_values SET value = 'wrong'");
        db.exec("UPDATE stat_index SET indexed_through = 1000");
    }
    reopen();
    EXPECT_EQ(count("case", {"site", "phase"}), phases);
}

TEST_F(stats_store_figures, a_store_made_before_the_index_gains_it_on_open) {
    KIM_SQLITE_ONLY("PostgreSQL stores began with the index (schema/server/postgres/001_initial.sql)");
    const CountTable phases = count("case", {"site", "phase"});
    const CountTable goals = count("goal", {"field"});
    store.reset();
    {
        kim::sqlite::Database db(std::filesystem::path(location) / kim::server::server_database_file,
                                 kim::sqlite::Database::Mode::read_write);
        for (const char* table : {"stat_heads", "stat_early_parents", "stat_values", "stat_index"}) {
            db.exec(std::string("DROP TABLE ") + table);
        }
        db.exec("DROP INDEX records_by_kind");
        db.exec("PRAGMA user_version = 2");
    }
    reopen();
    EXPECT_EQ(count("case", {"site", "phase"}), phases);
    EXPECT_EQ(count("goal", {"field"}), goals);
}

TEST_F(stats_store_figures, an_index_moved_under_the_running_server_refuses_the_push) {
    empty_the_index(location, 3);
    EXPECT_THROW(append({new_case(a, {clear("phase", "intake")})}), kim::IntegrityError);
}

TEST_F(stats_store, the_catch_up_crosses_its_batches_and_keeps_out_of_order_parents) {
    // More changes than one replay batch; each later one edits the previous
    // case's phase, and one child is stored before its parent.
    std::vector<Change> changes;
    Change prev = new_case(a, {clear("phase", "intake")});
    changes.push_back(prev);
    for (int i = 0; i <= 2100; ++i) {
        Change next = (i % 2) ? new_case(a, {clear("phase", "intake")})
                              : edit(a, prev, {clear("phase", "planning", {prev.id()})});
        changes.push_back(next);
        prev = next;
    }
    TestReplica h2{"hochfeld-b", "hochfeld"};
    const Change parent = new_case(h, {clear("phase", "intake")});
    const Change child = edit(h2, parent, {clear("phase", "closed", {parent.id()})});
    changes.push_back(child);
    changes.push_back(parent);
    append(changes);
    const CountTable before = count("case", {"site", "phase"});
    EXPECT_EQ(before, (CountTable{{"hamborn|planning", 1051}, {"hochfeld|closed", 1}}));
    store.reset();
    empty_the_index(location, 0);
    reopen();
    EXPECT_EQ(count("case", {"site", "phase"}), before);
}

}  // namespace
