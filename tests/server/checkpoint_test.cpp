// The server's signed checkpoints: one in the push transaction at every
// multiple of N (none from a rolled-back batch), one on request (idempotent
// at the same length), and a table that refuses to be rewritten. Real store,
// real keys.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "error_message.hpp"
#include "server_test_support.hpp"
#include "store/sqlite/sqlite_schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "sync/sync_service.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/sqlite/database.hpp"

namespace {

using kim::Change;
using kim::Checkpoint;
using kim::Hash32;
using kim::test::TempDir;
using kim::test::TestReplica;

class checkpoints : public ::testing::Test {
protected:
    void open(std::uint64_t interval) {
        location = kim::test::fresh_store_location(dir);
        kim::server::create_store(location);
        store = kim::server::open_store(location, kim::server::StoreOptions{interval});
        store->add_replica(a.enrolment());
        sync = std::make_unique<kim::server::SyncService>(*store, kim::Catalogue::builtin(),
                                                          [] { return kim::test::test_now_millis; });
    }

    bool push(const std::vector<Change>& changes) {
        return sync->push(a.caller(), kim::test::push_body(changes)).response.stored;
    }

    // chain[n] of the stored log, recomputed from the changes themselves.
    std::vector<Hash32> recomputed_chain() {
        std::vector<Hash32> chain{Hash32{}};
        const auto rows = store->read_log(0, 100'000, SIZE_MAX).rows;
        for (const auto& row : rows) {
            const Change c = kim::change_from_json(nlohmann::json::parse(row.envelope));
            chain.push_back(kim::crypto::blake2b256(chain.back(), kim::change_hash(c)));
            EXPECT_EQ(row.chain, chain.back()) << "stored chain at " << row.server_seq;
        }
        return chain;
    }

    void expect_valid(const Checkpoint& c, const std::vector<Hash32>& chain) {
        ASSERT_LT(c.server_seq, chain.size());
        EXPECT_EQ(c.chain, chain[c.server_seq]) << "checkpoint at " << c.server_seq;
        EXPECT_TRUE(kim::verify_checkpoint(c, store->secrets().public_key)) << "checkpoint at " << c.server_seq;
        EXPECT_GT(c.time, 1'700'000'000);
    }

    TempDir dir;
    std::string location;
    std::unique_ptr<kim::server::Store> store;
    std::unique_ptr<kim::server::SyncService> sync;
    TestReplica a{"hamborn-a", "hamborn"};
};

TEST_F(checkpoints, one_is_signed_at_each_multiple_of_n_within_the_batch) {
    open(3);
    ASSERT_TRUE(push(a.next_changes(2)));
    EXPECT_TRUE(store->checkpoints().empty());
    ASSERT_TRUE(push(a.next_changes(5)));  // server seqs 3..7: crosses 3 and 6 in one batch
    ASSERT_TRUE(push(a.next_changes(2)));  // 8, 9
    const auto list = store->checkpoints();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].server_seq, 3u);
    EXPECT_EQ(list[1].server_seq, 6u);
    EXPECT_EQ(list[2].server_seq, 9u);
    const auto chain = recomputed_chain();
    ASSERT_EQ(chain.size(), 10u);
    for (const auto& c : list) expect_valid(c, chain);
    // A checkpoint signed by another key does not verify with the server's.
    const auto other = kim::crypto::generate_signing_key();
    EXPECT_FALSE(kim::verify_checkpoint(list[0], other.public_key));
    Checkpoint forged = list[0];
    forged.server_seq = 4;
    EXPECT_FALSE(kim::verify_checkpoint(forged, store->secrets().public_key));
}

TEST_F(checkpoints, every_change_can_be_checkpointed) {
    open(1);
    ASSERT_TRUE(push(a.next_changes(4)));
    const auto list = store->checkpoints();
    ASSERT_EQ(list.size(), 4u);
    const auto chain = recomputed_chain();
    for (std::size_t i = 0; i < list.size(); ++i) {
        EXPECT_EQ(list[i].server_seq, i + 1);
        expect_valid(list[i], chain);
    }
}

TEST_F(checkpoints, a_rolled_back_batch_leaves_none) {
    open(2);
    // Refused as a whole (the third change is signed by someone else): nothing of it stays.
    auto changes = a.next_changes(3);
    changes[2].sig[0] ^= 1;
    EXPECT_FALSE(push(changes));
    EXPECT_TRUE(store->checkpoints().empty());
    EXPECT_EQ(store->summary().changes, 0u);
    // A transaction dropped without commit() after two appends: the same.
    {
        TestReplica b{"hamborn-b", "hamborn"};
        store->add_replica(b.enrolment());
        auto tx = store->begin_append();
        for (const auto& c : b.next_changes(2)) tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump());
    }
    EXPECT_TRUE(store->checkpoints().empty());
    EXPECT_EQ(store->summary().changes, 0u);
    // The same positions checkpointed once a batch does commit.
    TestReplica c{"hamborn-c", "hamborn"};
    store->add_replica(c.enrolment());
    ASSERT_TRUE(sync->push(c.caller(), kim::test::push_body(c.next_changes(2))).response.stored);
    const auto list = store->checkpoints();
    ASSERT_EQ(list.size(), 1u);
    expect_valid(list[0], recomputed_chain());
}

TEST_F(checkpoints, on_request_signs_the_tip_once) {
    open(1000);
    // The empty log: length 0 and chain[0], 32 zero bytes.
    const Checkpoint empty = store->checkpoint_now();
    EXPECT_EQ(empty.server_seq, 0u);
    EXPECT_EQ(empty.chain, Hash32{});
    EXPECT_TRUE(kim::verify_checkpoint(empty, store->secrets().public_key));
    const Checkpoint again = store->checkpoint_now();
    EXPECT_EQ(kim::to_json(again), kim::to_json(empty));
    EXPECT_EQ(store->checkpoints().size(), 1u);

    ASSERT_TRUE(push(a.next_changes(3)));
    const Checkpoint at3 = store->checkpoint_now();
    EXPECT_EQ(at3.server_seq, 3u);
    expect_valid(at3, recomputed_chain());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(kim::to_json(store->checkpoint_now()), kim::to_json(at3));
    const auto list = store->checkpoints();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].server_seq, 0u);
    EXPECT_EQ(list[1].server_seq, 3u);
}

TEST_F(checkpoints, on_request_at_an_automatic_one_answers_it) {
    open(2);
    ASSERT_TRUE(push(a.next_changes(2)));
    const auto list = store->checkpoints();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(kim::to_json(store->checkpoint_now()), kim::to_json(list[0]));
    EXPECT_EQ(store->checkpoints().size(), 1u);
}

TEST_F(checkpoints, the_table_refuses_update_and_delete) {
    open(1);
    ASSERT_TRUE(push(a.next_changes(2)));
    store.reset();
    kim::test::StoreSql db(location);
    for (const char* sql : {"UPDATE checkpoints SET time = time + 1", "UPDATE checkpoints SET server_seq = 7 WHERE server_seq = 1",
                            "DELETE FROM checkpoints WHERE server_seq = 2", "DELETE FROM checkpoints"}) {
        const std::string message = kim::test::error_message_of<kim::Error>([&] { db.exec(sql); });
        EXPECT_NE(message.find("append-only"), std::string::npos) << sql << ": " << message;
    }
    EXPECT_EQ(db.rows("SELECT COUNT(*) FROM checkpoints").at(0).at(0), "2");
}

TEST_F(checkpoints, interval_out_of_range_is_refused) {
    location = kim::test::fresh_store_location(dir);
    kim::server::create_store(location);
    for (const std::uint64_t bad : {std::uint64_t{0}, kim::server::max_checkpoint_interval + 1}) {
        const std::string message = kim::test::error_message_of<kim::InputError>(
            [&] { kim::server::open_store(location, kim::server::StoreOptions{bad}); });
        EXPECT_NE(message.find("1 to 1000000"), std::string::npos) << message;
    }
}

TEST_F(checkpoints, a_version_1_store_gains_the_table_on_open) {
    KIM_SQLITE_ONLY("PostgreSQL stores began with the checkpoints (schema/server/postgres/001_initial.sql)");
    kim::server::create_sqlite_store(dir / "data");
    {
        // What a store made before checkpoints existed looks like.
        kim::sqlite::Database db(dir / "data" / kim::server::server_database_file, kim::sqlite::Database::Mode::read_write);
        db.exec("DROP TABLE checkpoints");
        for (const char* table : {"stat_heads", "stat_early_parents", "stat_values", "stat_index"}) {
            db.exec(std::string("DROP TABLE ") + table);
        }
        db.exec("DROP INDEX records_by_kind");
        db.exec("PRAGMA user_version = 1");
    }
    store = kim::server::open_sqlite_store(dir / "data", kim::server::StoreOptions{1});
    store->add_replica(a.enrolment());
    sync = std::make_unique<kim::server::SyncService>(*store, kim::Catalogue::builtin(),
                                                      [] { return kim::test::test_now_millis; });
    ASSERT_TRUE(push(a.next_changes(1)));
    EXPECT_EQ(store->checkpoints().size(), 1u);
}

}  // namespace
