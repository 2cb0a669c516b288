// The server store, on SQLite and, when the run tests it, on PostgreSQL
// (test_postgres.hpp): creation, migration, the gap-free chained log,
// rollback, concurrent appends, enrolment, and the reads that pulls page through.
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <future>
#include <map>
#include <thread>

#include "error_message.hpp"
#include "server_test_support.hpp"
#include "store/sqlite/sqlite_schema.hpp"
#include "kim/shared/errors.hpp"
#include "kim/sqlite/database.hpp"

namespace {

namespace fs = std::filesystem;
using kim::Change;
using kim::Hash32;
using kim::server::Store;
using kim::test::TempDir;
using kim::test::TestReplica;

int mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return static_cast<int>(st.st_mode & 0777);
}

fs::path db_file(const TempDir& dir) { return dir / "data" / kim::server::server_database_file; }

// Appends the changes in one committed batch; returns their server seqs.
std::vector<std::uint64_t> append_all(Store& store, const std::vector<Change>& changes) {
    auto tx = store.begin_append();
    std::vector<std::uint64_t> seqs;
    for (const auto& c : changes) seqs.push_back(tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump()));
    tx->commit();
    return seqs;
}

std::string hex_of(const Hash32& h) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto b : h) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

kim::Bytes bytes_of_hex(const std::string& hex) {
    kim::Bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

// Every row of the log, read behind the store's back, with the chain recomputed.
void expect_consistent_chain(const TempDir& dir, std::uint64_t expected_rows) {
    kim::test::StoreSql db(kim::test::store_location(dir));
    Hash32 chain{};
    std::uint64_t n = 0;
    for (const auto& row :
         db.rows("SELECT server_seq, " + db.hex("hash") + ", " + db.hex("chain") + " FROM log ORDER BY server_seq")) {
        ++n;
        ASSERT_EQ(row[0], std::to_string(n)) << "server_seq has a gap";
        const kim::Bytes hash = bytes_of_hex(row[1]);
        ASSERT_EQ(hash.size(), 32u);
        chain = kim::crypto::blake2b256(chain, hash);
        ASSERT_EQ(hex_of(chain), row[2]) << "chain differs at " << n;
    }
    EXPECT_EQ(n, expected_rows);
}

TEST(store, create_makes_owner_only_folder_and_file) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    kim::server::create_sqlite_store(dir / "data");
    EXPECT_EQ(mode_of(dir / "data"), 0700);
    EXPECT_EQ(mode_of(db_file(dir)), 0600);
    EXPECT_FALSE(fs::exists(dir / "data" / "server.db.creating"));
    // SQLite's -wal and -shm files, made once the store is in use, inherit the mode.
    auto store = kim::server::open_sqlite_store(dir / "data");
    append_all(*store, TestReplica("hamborn-a", "hamborn").next_changes(1));
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir / "data")) {
        EXPECT_EQ(mode_of(entry.path()), 0600) << entry.path();
        ++files;
    }
    EXPECT_EQ(files, 3) << "server.db, its -wal and -shm";
}

TEST(store, create_refuses_a_folder_that_holds_a_store) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    kim::server::create_sqlite_store(dir / "data");
    const auto message = kim::test::error_message_of<kim::StateError>([&] { kim::server::create_sqlite_store(dir / "data"); });
    EXPECT_NE(message.find("already a server store"), std::string::npos) << message;
}

TEST(store, open_without_store_is_not_found_with_advice) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    const auto message = kim::test::error_message_of<kim::NotFoundError>([&] { kim::server::open_sqlite_store(dir / "none"); });
    EXPECT_NE(message.find("init"), std::string::npos) << message;
}

TEST(store, open_refuses_a_store_of_a_newer_schema) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    kim::server::create_sqlite_store(dir / "data");
    {
        kim::sqlite::Database db(db_file(dir), kim::sqlite::Database::Mode::read_write);
        db.exec("PRAGMA user_version = 99");
    }
    const auto message = kim::test::error_message_of<kim::StateError>([&] { kim::server::open_sqlite_store(dir / "data"); });
    EXPECT_NE(message.find("newer"), std::string::npos) << message;
    EXPECT_NE(message.find("kim-server"), std::string::npos) << message;
}

TEST(store, open_refuses_a_file_that_is_not_a_server_store) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    kim::server::create_sqlite_store(dir / "data");
    {
        kim::sqlite::Database db(db_file(dir), kim::sqlite::Database::Mode::read_write);
        db.exec("UPDATE meta SET value = 'something-else' WHERE key = 'format'");
    }
    EXPECT_THROW(kim::server::open_sqlite_store(dir / "data"), kim::InputError);
}

TEST(store, store_is_migrated_to_the_latest_schema_in_wal_mode) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    kim::sqlite::Database db(db_file(dir), kim::sqlite::Database::Mode::read_write);
    EXPECT_EQ(db.user_version(), kim::server::latest_server_schema_version());
    EXPECT_EQ(db.user_version(), 3);
    kim::sqlite::Statement st(db, "PRAGMA journal_mode");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0), "wal");
}

TEST(store, secrets_are_generated_once_and_survive_reopening) {
    KIM_SQLITE_ONLY("the store's folder and file; postgres_store_test.cpp has the database's");
    TempDir dir;
    kim::server::create_sqlite_store(dir / "data");
    const auto first = kim::server::open_sqlite_store(dir / "data");
    const auto second = kim::server::open_sqlite_store(dir / "data");
    EXPECT_EQ(first->secrets().public_key, second->secrets().public_key);
    EXPECT_EQ(kim::crypto::public_key_of(first->secrets().signing_key), first->secrets().public_key);
    EXPECT_TRUE(kim::crypto::constant_time_equal(first->secrets().token_secret.span(), second->secrets().token_secret.span()));

    TempDir other;
    const auto elsewhere = kim::test::fresh_store(other);
    EXPECT_NE(elsewhere->secrets().public_key, first->secrets().public_key);
}

TEST(store, server_seq_is_gap_free_and_chain_starts_from_zeros) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    const auto changes = a.next_changes(3);
    EXPECT_EQ(append_all(*store, changes), (std::vector<std::uint64_t>{1, 2, 3}));

    Hash32 chain{};
    for (const auto& c : changes) chain = kim::crypto::blake2b256(chain, kim::change_hash(c));
    const auto summary = store->summary();
    EXPECT_EQ(summary.changes, 3u);
    EXPECT_EQ(summary.last_seq, 3u);
    EXPECT_EQ(summary.chain, chain);
    // chain[1] = BLAKE2b(32 zero bytes || hash(change 1)).
    const Hash32 zeros{};
    kim::test::StoreSql db(kim::test::store_location(dir));
    const Hash32 first = kim::crypto::blake2b256(zeros, kim::change_hash(changes[0]));
    EXPECT_EQ(db.rows("SELECT " + db.hex("chain") + " FROM log WHERE server_seq = 1").at(0).at(0), hex_of(first));
    expect_consistent_chain(dir, 3);
}

TEST(store, tips_and_finds_see_the_batch_s_own_appends) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    auto tx = store->begin_append();
    EXPECT_EQ(tx->tip("hamborn-a").seq, 0u);
    EXPECT_EQ(tx->tip("hamborn-a").hash, kim::zero_hash);
    const Change c = a.next_change();
    const auto server_seq = tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump());
    EXPECT_EQ(tx->tip("hamborn-a").seq, 1u);
    EXPECT_EQ(tx->tip("hamborn-a").hash, kim::change_hash(c));
    const auto found = tx->find("hamborn-a", 1);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->server_seq, server_seq);
    EXPECT_FALSE(tx->find("hamborn-a", 2));
    EXPECT_FALSE(tx->find("hamborn-b", 1));
}

TEST(store, a_batch_not_committed_leaves_nothing) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    store->add_replica(a.enrolment());
    {
        auto tx = store->begin_append();
        for (const auto& c : a.next_changes(2)) tx->append(c, kim::change_hash(c), kim::change_to_json(c).dump());
        tx->put_introduction("hamborn-a", a.introduction().dump());
    }
    EXPECT_EQ(store->summary().changes, 0u);
    EXPECT_TRUE(store->introductions("hamborn").empty());
    // The next batch starts again at server seq 1: no hole where the rolled-back one was.
    TestReplica b("hochfeld-a", "hochfeld");
    EXPECT_EQ(append_all(*store, b.next_changes(1)), std::vector<std::uint64_t>{1});
    expect_consistent_chain(dir, 1);
}

TEST(store, concurrent_batches_keep_one_consistent_chain) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    constexpr int threads = 4;
    constexpr int batches = 20;
    constexpr int per_batch = 3;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&store, t] {
            TestReplica r("replica-" + std::to_string(t), "site-" + std::to_string(t % 2));
            for (int b = 0; b < batches; ++b) append_all(*store, r.next_changes(per_batch));
        });
    }
    for (auto& w : workers) w.join();
    const std::uint64_t total = threads * batches * per_batch;
    EXPECT_EQ(store->summary().changes, total);
    expect_consistent_chain(dir, total);
    // Each batch landed in one piece: a replica's changes are in seq order.
    kim::test::StoreSql db(kim::test::store_location(dir));
    std::map<std::string, std::int64_t> last;
    for (const auto& row : db.rows("SELECT origin, seq FROM log ORDER BY server_seq")) {
        EXPECT_EQ(std::stoll(row[1]), last[row[0]] + 1);
        last[row[0]] = std::stoll(row[1]);
    }
}

TEST(store, reads_do_not_wait_for_an_open_batch) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    TestReplica b("hamborn-b", "hamborn");
    append_all(*store, a.next_changes(1));
    store->add_replica(a.enrolment());

    auto tx = store->begin_append();  // a long push holds the writer
    const Change pending = b.next_change();
    tx->append(pending, kim::change_hash(pending), kim::change_to_json(pending).dump());
    auto reader = std::async(std::launch::async, [&] {
        const auto page = store->read_site("hamborn", "nobody", 0, 10, 1 << 20);
        const bool enrolled = store->replica("hamborn-a").has_value();
        return std::make_pair(page.entries.size(), enrolled);
    });
    ASSERT_EQ(reader.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "a read waited for the writer";
    const auto [entries, enrolled] = reader.get();
    EXPECT_EQ(entries, 1u) << "a read saw an uncommitted change";
    EXPECT_TRUE(enrolled);
}

TEST(store, records_keep_their_case_from_the_creating_change) {
    TempDir dir("kimserver");
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    const Change the_case = a.next_change();
    // A goal of that case, then an edit of the goal without the case link.
    const Change goal = a.next_change([&](Change& c) {
        c.kind = "goal";
        kim::FieldOp link;
        link.field = "case";
        link.value = the_case.record;
        kim::FieldOp status;
        status.field = "status";
        status.value = "open";
        c.ops = {link, status};
    });
    const Change goal_edit = a.next_change([&](Change& c) {
        c.kind = "goal";
        c.record = goal.record;
        kim::FieldOp status;
        status.field = "status";
        status.value = "achieved";
        c.ops = {status};
    });
    const Change erasure = a.next_change([&](Change& c) {
        c.record = the_case.record;
        kim::FieldOp erased;
        erased.field = "_erased";
        erased.value = true;
        c.ops = {erased};
    });
    append_all(*store, {the_case, goal, goal_edit});

    auto tx = store->begin_append();
    EXPECT_EQ(tx->case_of("hamborn", the_case.record), the_case.record);
    EXPECT_EQ(tx->case_of("hamborn", goal.record), the_case.record);
    EXPECT_FALSE(tx->case_of("hochfeld", goal.record)) << "a record belongs to its site";
    EXPECT_FALSE(tx->erased("hamborn", goal.record));
    tx->append(erasure, kim::change_hash(erasure), kim::change_to_json(erasure).dump());
    EXPECT_TRUE(tx->erased("hamborn", the_case.record));
    EXPECT_TRUE(tx->erased("hamborn", goal.record)) << "erasing a case erases its records";
    EXPECT_FALSE(tx->erased("hochfeld", goal.record)) << "another site's erasure of the same id counts for nothing";
}

TEST(store, the_log_refuses_deletion_and_rewriting_but_not_a_purge) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    append_all(*store, a.next_changes(1));
    kim::test::StoreSql db(kim::test::store_location(dir));
    EXPECT_THROW(db.exec("DELETE FROM log"), kim::Error);
    EXPECT_THROW(db.exec("UPDATE log SET hash = chain"), kim::Error);
    EXPECT_THROW(db.exec("UPDATE log SET chain = hash"), kim::Error);
    EXPECT_THROW(db.exec("UPDATE log SET seq = seq + 1"), kim::Error);
    EXPECT_NO_THROW(db.exec("UPDATE log SET envelope = '{}'"));
}

TEST(store, replicas_are_enrolled_listed_and_revoked) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    TestReplica b("hochfeld-a", "hochfeld");
    store->add_replica(a.enrolment());
    store->add_replica(b.enrolment());
    EXPECT_THROW(store->add_replica(a.enrolment()), kim::StateError);

    const auto listed = store->replicas();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, "hamborn-a");
    EXPECT_EQ(listed[0].public_key, a.public_key());
    EXPECT_FALSE(listed[0].revoked_at);
    EXPECT_FALSE(store->replica("rheinhausen-a"));

    store->revoke_replica("hamborn-a", 1234);
    EXPECT_EQ(store->replica("hamborn-a")->revoked_at, std::optional<std::int64_t>(1234));
    EXPECT_THROW(store->revoke_replica("hamborn-a", 1235), kim::StateError);
    EXPECT_THROW(store->revoke_replica("rheinhausen-a", 1235), kim::NotFoundError);
    // A revoked id stays taken: it names a key in the log's history; the
    // message says to set the laptop up with a new id.
    try {
        store->add_replica(a.enrolment());
        ADD_FAILURE() << "a revoked id was enrolled again";
    } catch (const kim::StateError& e) {
        EXPECT_NE(std::string(e.what()).find("new id"), std::string::npos) << e.what();
    }
}

TEST(store, one_key_is_enrolled_for_one_replica_only) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hochfeld-a", "hochfeld");
    store->add_replica(a.enrolment());
    auto pasted_twice = a.enrolment();
    pasted_twice.id = "hamborn-y";
    pasted_twice.site = "hamborn";
    try {
        store->add_replica(pasted_twice);
        ADD_FAILURE() << "one key was enrolled for two replicas";
    } catch (const kim::StateError& e) {
        EXPECT_NE(std::string(e.what()).find("hochfeld-a"), std::string::npos) << e.what();
    }
    EXPECT_EQ(store->replicas().size(), 1u);
}

TEST(store, users_and_replicas_share_one_namespace) {
    TempDir dir;
    auto store = kim::test::fresh_store(dir);
    TestReplica a("hamborn-a", "hamborn");
    store->add_replica(a.enrolment());

    kim::server::User u;
    u.name = "duisburg-coordination";
    u.role = kim::protocol::Role::coordinator;
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    u.created_at = 42;
    store->add_user(u);
    const auto back = store->user("duisburg-coordination");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->role, kim::protocol::Role::coordinator);
    EXPECT_EQ(back->password_hash, u.password_hash);
    EXPECT_FALSE(back->public_key);
    EXPECT_EQ(back->created_at, 42);

    EXPECT_THROW(store->add_user(u), kim::StateError);
    kim::server::User clash = u;
    clash.name = "hamborn-a";
    EXPECT_THROW(store->add_user(clash), kim::StateError);
    kim::server::EnrolledReplica r = a.enrolment();
    r.id = "duisburg-coordination";
    EXPECT_THROW(store->add_replica(r), kim::StateError);
    EXPECT_FALSE(store->user("nobody"));
}

class read_site : public ::testing::Test {
protected:
    void SetUp() override {
        store = kim::test::fresh_store(dir);
        // server seqs: 1-3 hamborn-a, 4-5 hochfeld-a, 6-8 hamborn-b
        append_all(*store, a.next_changes(3));
        append_all(*store, h.next_changes(2));
        append_all(*store, b.next_changes(3));
    }
    static std::vector<std::uint64_t> seqs(const kim::server::PullPage& page) {
        std::vector<std::uint64_t> out;
        for (const auto& e : page.entries) out.push_back(e.server_seq);
        return out;
    }

    TempDir dir;
    std::unique_ptr<Store> store;
    TestReplica a{"hamborn-a", "hamborn"};
    TestReplica b{"hamborn-b", "hamborn"};
    TestReplica h{"hochfeld-a", "hochfeld"};
};

TEST_F(read_site, returns_only_the_site_without_the_skipped_origin) {
    const auto page = store->read_site("hamborn", "hamborn-b", 0, 100, 1 << 20);
    EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_FALSE(page.more);
    // Nothing of the site is left unseen: the cursor moves past hamborn-b's own changes.
    EXPECT_EQ(page.next, 8u);
    const auto other = store->read_site("hochfeld", "hochfeld-b", 0, 100, 1 << 20);
    EXPECT_EQ(seqs(other), (std::vector<std::uint64_t>{4, 5}));
    EXPECT_EQ(other.next, 5u);
}

TEST_F(read_site, envelopes_come_back_as_stored) {
    const auto page = store->read_site("hochfeld", "", 0, 100, 1 << 20);
    ASSERT_EQ(page.entries.size(), 2u);
    const Change c = kim::change_from_json(nlohmann::json::parse(page.entries[0].envelope));
    EXPECT_EQ(c.origin, "hochfeld-a");
    EXPECT_TRUE(kim::verify_change_signature(c, h.public_key()));
    EXPECT_TRUE(c.ops[0].ct.has_value());
}

TEST_F(read_site, pages_by_limit_with_next_and_more) {
    auto page = store->read_site("hamborn", "hamborn-a", 0, 2, 1 << 20);
    EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{6, 7}));
    EXPECT_TRUE(page.more);
    EXPECT_EQ(page.next, 7u);
    page = store->read_site("hamborn", "hamborn-a", page.next, 2, 1 << 20);
    EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{8}));
    EXPECT_FALSE(page.more);
    EXPECT_EQ(page.next, 8u);
    page = store->read_site("hamborn", "hamborn-a", page.next, 2, 1 << 20);
    EXPECT_TRUE(page.entries.empty());
    EXPECT_FALSE(page.more);
    EXPECT_EQ(page.next, 8u) << "with nothing new the cursor stays";
}

TEST_F(read_site, a_page_ends_once_it_passes_the_soft_byte_bound) {
    const auto page = store->read_site("hamborn", "", 0, 100, 1);
    EXPECT_EQ(seqs(page), std::vector<std::uint64_t>{1}) << "one entry at least, then stop";
    EXPECT_TRUE(page.more);
    EXPECT_EQ(page.next, 1u);
    const auto size = page.entries[0].envelope.size();
    const auto two = store->read_site("hamborn", "", 0, 100, size + 1);
    EXPECT_EQ(seqs(two), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_TRUE(two.more);
}

TEST_F(read_site, introductions_are_kept_per_site_and_replaced) {
    store->add_replica(a.enrolment());
    store->add_replica(h.enrolment());
    {
        auto tx = store->begin_append();
        tx->put_introduction("hamborn-a", R"({"replica":"hamborn-a","v":1})");
        tx->put_introduction("hochfeld-a", R"({"replica":"hochfeld-a"})");
        tx->commit();
    }
    {
        auto tx = store->begin_append();
        tx->put_introduction("hamborn-a", R"({"replica":"hamborn-a","v":2})");
        EXPECT_THROW(tx->put_introduction("unknown-a", "{}"), kim::NotFoundError);
        tx->commit();
    }
    EXPECT_EQ(store->introductions("hamborn"), std::vector<std::string>{R"({"replica":"hamborn-a","v":2})"});
    EXPECT_EQ(store->introductions("hochfeld"), std::vector<std::string>{R"({"replica":"hochfeld-a"})"});
    EXPECT_TRUE(store->introductions("rheinhausen").empty());
}

}  // namespace
