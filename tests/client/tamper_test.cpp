// Tampering: a damaged ciphertext on disk is detected when read; a change
// file with any alteration is refused as a whole, leaving the replica as it was.
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using kim::test::SqliteFile;
using kim::test::TempDir;
using nlohmann::json;

// ---------------------------------------------------------------- at rest

class stored_ciphertexts : public ::testing::Test {
protected:
    void SetUp() override {
        Replica r = kim::test::make_replica(home, "hamborn", "hamborn-a");
        case_id = r.create_case({{"name", "Amina Kovačević"}, {"address", "Weseler Str. 12"}, {"phase", "assessment"}});
        contact_id = r.add_record("contact", case_id, {{"text", "Erstgespräch"}, {"place", "Büro"}});
        goal_id = r.add_record("goal", case_id, {{"text", "Wohnung"}, {"due_date", "2027-01-31"}});
    }

    // Reads everything a person could ask for, with a fresh handle (no cached case key).
    void read_all() {
        Replica r = Replica::open(home, kim::test::passphrase);
        for (const auto& id : {case_id, contact_id, goal_id}) r.read(id);
        r.conflicts();
    }

    TempDir dir{"kim-tamper"};
    fs::path home = dir / "a";
    std::string case_id, contact_id, goal_id;
};

TEST_F(stored_ciphertexts, a_flipped_byte_in_any_ciphertext_is_detected_on_read) {
    ASSERT_NO_THROW(read_all());
    std::vector<SqliteFile::CiphertextRow> rows;
    {
        SqliteFile db(home / Replica::database_file);
        rows = db.ciphertexts();
    }
    // name, address, _key; text, place, date; text, due_date
    ASSERT_EQ(rows.size(), 8u);
    for (const auto& row : rows) {
        for (const std::size_t at : {std::size_t{0}, std::size_t{30}, row.ct.size() - 1}) {  // nonce, body, tag
            SCOPED_TRACE(row.origin + ":" + std::to_string(row.seq) + "/" + row.field + " byte " + std::to_string(at));
            kim::Bytes damaged = row.ct;
            damaged[at] ^= 0x20;
            {
                SqliteFile db(home / Replica::database_file);
                db.set_ciphertext(row, damaged);
            }
            try {
                read_all();
                ADD_FAILURE() << "a damaged ciphertext was read without complaint";
            } catch (const kim::IntegrityError& e) {
                const std::string msg = e.what();
                EXPECT_NE(msg.find(row.field), std::string::npos) << msg;
                EXPECT_NE(msg.find(row.record), std::string::npos) << msg;
                EXPECT_NE(msg.find("tampered"), std::string::npos) << msg;
            }
            {
                SqliteFile db(home / Replica::database_file);
                db.set_ciphertext(row, row.ct);
            }
            ASSERT_NO_THROW(read_all()) << "restoring the ciphertext must make it readable again";
        }
    }
}

TEST_F(stored_ciphertexts, a_ciphertext_moved_to_another_field_is_detected_even_with_a_matching_hash) {
    std::vector<SqliteFile::CiphertextRow> rows;
    {
        SqliteFile db(home / Replica::database_file);
        rows = db.ciphertexts();
    }
    const SqliteFile::CiphertextRow* name = nullptr;
    const SqliteFile::CiphertextRow* address = nullptr;
    for (const auto& row : rows) {
        if (row.record == case_id && row.field == "name") name = &row;
        if (row.record == case_id && row.field == "address") address = &row;
    }
    ASSERT_TRUE(name && address);
    {
        // The attacker also fixes the clear hash the merge state keeps, so
        // only the binding of the ciphertext to its place can catch this.
        SqliteFile db(home / Replica::database_file);
        db.set_ciphertext(*name, address->ct);
        const auto hash = kim::crypto::blake2b256(address->ct);
        db.exec("UPDATE field_ops SET ct_hash = x'" + [&] {
            std::string hex;
            static constexpr char digits[] = "0123456789abcdef";
            for (const auto b : hash) {
                hex.push_back(digits[b >> 4]);
                hex.push_back(digits[b & 0x0f]);
            }
            return hex;
        }() + "' WHERE record = '" + case_id + "' AND field = 'name'");
    }
    Replica r = Replica::open(home, kim::test::passphrase);
    try {
        r.read(case_id);
        FAIL() << "a moved ciphertext was read as the name";
    } catch (const kim::IntegrityError& e) {
        EXPECT_NE(std::string(e.what()).find("name"), std::string::npos) << e.what();
    }
}

// ---------------------------------------------------------------- change files

// a and b are replicas of one site that know each other; b has written two
// changes that a has not seen yet.
class tampered_files : public ::testing::Test {
protected:
    void SetUp() override {
        kim::test::sync_all({&a, &b}, 1);
        a.create_case({{"name", "held by a"}});
        case_id = b.create_case({{"name", "Amina"}, {"sex", "female"}, {"need.wohnen", "2"}});
        b.add_record("contact", case_id, {{"text", "Erstgespräch"}, {"mode", "phone"}});
        good = b.export_changes();
        ASSERT_EQ(good["changes"].size(), 2u);
        remember();
    }

    // Closes b, copies its folder (as a restored backup would) and opens
    // both: the original and the copy, which will write under b's id.
    std::pair<std::optional<Replica>, Replica> clone_b() {
        std::optional<Replica> original;
        original.emplace(std::move(b));
        original.reset();
        fs::copy(dir / "b", dir / "b-clone", fs::copy_options::recursive);
        original.emplace(Replica::open(dir / "b", kim::test::passphrase));
        return {std::move(original), Replica::open(dir / "b-clone", kim::test::passphrase)};
    }

    void remember() {
        digest = a.state_digest();
        exported = a.export_changes();
        status = a.status();
    }

    // a refuses `file` with an IntegrityError or InputError whose message
    // holds `reason`, and is exactly as before.
    void expect_refused(const json& file, const std::string& reason) {
        try {
            a.import_changes(file);
            ADD_FAILURE() << "a tampered file was accepted (" << reason << ")";
        } catch (const kim::IntegrityError& e) {
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        } catch (const kim::InputError& e) {
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        }
        expect_unchanged();
    }

    void expect_unchanged() {
        EXPECT_EQ(a.state_digest(), digest);
        EXPECT_EQ(a.export_changes(), exported);
        const auto now = a.status();
        EXPECT_EQ(now.all_changes, status.all_changes);
        EXPECT_EQ(now.waiting_changes, status.waiting_changes);
        EXPECT_EQ(now.peers, status.peers);
    }

    // The op of `field` in change `index` of `file`.
    static json& op(json& file, std::size_t index, const std::string& field) {
        for (auto& o : file["changes"][index]["ops"]) {
            if (o["field"] == field) return o;
        }
        throw std::runtime_error("no op " + field);
    }

    TempDir dir{"kim-tamper"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
    Replica b = kim::test::join_replica(a, dir / "b", "hamborn-b");
    std::string case_id;
    json good;
    std::string digest;
    json exported;
    kim::client::ReplicaStatus status;
};

TEST_F(tampered_files, the_untampered_file_is_accepted) {
    const auto report = a.import_changes(good);
    EXPECT_EQ(report.applied, 2u);
    EXPECT_EQ(kim::test::shown(a, case_id, "name"), "Amina");
}

TEST_F(tampered_files, bad_signature) {
    json f = good;
    f["changes"][1]["sig"] = kim::test::flip_base64(f["changes"][1]["sig"].get<std::string>(), 5);
    expect_refused(f, "signature");
    // All or nothing: the valid first change did not get in either.
    EXPECT_THROW(a.read(case_id), kim::NotFoundError);
}

TEST_F(tampered_files, wrong_prev) {
    json f = good;
    f["changes"][1]["prev"] = kim::test::flip_base64(f["changes"][1]["prev"].get<std::string>(), 3);
    expect_refused(f, "signature");
    f = good;
    f["changes"][0]["prev"] = kim::test::flip_base64(f["changes"][0]["prev"].get<std::string>(), 0);
    expect_refused(f, "hamborn-b:1");
}

TEST_F(tampered_files, altered_ciphertext) {
    json f = good;
    auto& name = op(f, 0, "name");
    name["ct"] = kim::test::flip_base64(name["ct"].get<std::string>(), 40);
    expect_refused(f, "ciphertext");
    // Also fixing the hash breaks the signature, which covers it.
    f = good;
    auto& name2 = op(f, 0, "name");
    const auto ct = *kim::base64_decode(kim::test::flip_base64(name2["ct"].get<std::string>(), 40));
    name2["ct"] = kim::base64_encode(ct);
    name2["ct_hash"] = kim::base64_encode(kim::crypto::blake2b256(ct));
    expect_refused(f, "signature");
    // A ciphertext swapped between two fields of the change.
    f = good;
    std::swap(op(f, 0, "name")["ct"], op(f, 0, "_key")["ct"]);
    expect_refused(f, "ciphertext");
}

TEST_F(tampered_files, altered_clear_values) {
    json f = good;
    op(f, 0, "sex")["value"] = "male";  // still a valid category
    expect_refused(f, "signature");
    f = good;
    op(f, 0, "need.wohnen")["value"] = "3";
    expect_refused(f, "signature");
    f = good;
    f["changes"][0]["hlc"] = f["changes"][0]["hlc"].get<std::uint64_t>() + 1;
    expect_refused(f, "signature");
    f = good;
    op(f, 1, "mode")["parents"] = json::array({"hamborn-a:1"});
    expect_refused(f, "signature");
    f = good;
    f["changes"][1]["record"] = kim::random_uuid();
    expect_refused(f, "signature");
    // A statistical value outside the catalogue is refused before the signature is even checked.
    f = good;
    op(f, 0, "sex")["value"] = "robot";
    expect_refused(f, "'sex'");
}

TEST_F(tampered_files, change_of_another_site) {
    Replica h = kim::test::make_replica(dir / "h", "hochfeld", "hochfeld-a");
    h.create_case({{"name", "elsewhere"}});
    const json foreign = h.export_changes();
    // As it is: the file names its site.
    expect_refused(foreign, "hochfeld");
    // Relabelled as ours: the introduction does not open with our site key.
    json f = foreign;
    f["site"] = "hamborn";
    expect_refused(f, "hochfeld-a");
    // Without the introduction: the change itself names its site.
    f["introductions"] = json::array();
    expect_refused(f, "site");
    // Its site relabelled too: the signer is unknown here (and the signature covers the site).
    f["changes"][0]["site"] = "hamborn";
    expect_refused(f, "hochfeld-a");
    // Slipped into a good file of ours: the whole file is refused.
    f = good;
    f["changes"].push_back(foreign["changes"][0]);
    expect_refused(f, "site");
}

TEST_F(tampered_files, equivocation_and_broken_chain) {
    // A clone of b (e.g. a restored backup) continues b's chain differently.
    auto [b1, clone] = clone_b();
    ASSERT_EQ(clone.replica_id(), "hamborn-b");

    b1->set_fields(case_id, {{"name", "Amina K."}});   // hamborn-b:3
    clone.set_fields(case_id, {{"name", "A. Kovač"}});  // hamborn-b:3, different
    clone.set_fields(case_id, {{"phase", "linking"}});  // hamborn-b:4, after the other b:3

    a.import_changes(b1->export_changes());
    remember();
    ASSERT_EQ(status.all_changes, 4u);

    const json forked = clone.export_changes();
    // Same id, other content.
    expect_refused(kim::test::filter_changes(forked, [](const json& c) { return c["seq"] == 3; }), "equivocation");
    // The whole clone file: it repeats b:1 and b:2 (duplicates) but b:3 equivocates.
    expect_refused(forked, "equivocation");
    // A correctly signed change whose prev is not the hash of the change held here.
    expect_refused(kim::test::filter_changes(forked, [](const json& c) { return c["seq"] == 4; }), "broken chain");
    // b's own continuation is still welcome.
    b1->set_fields(case_id, {{"phase", "planning"}});  // hamborn-b:4
    a.import_changes(b1->export_changes());
    EXPECT_EQ(kim::test::shown(a, case_id, "name"), "Amina K.");
    EXPECT_EQ(kim::test::shown(a, case_id, "phase"), "planning");
}

TEST_F(tampered_files, equivocation_against_a_held_change) {
    auto [b1, clone] = clone_b();
    b1->set_fields(case_id, {{"phase", "planning"}});    // hamborn-b:3
    b1->set_fields(case_id, {{"need.kita", "1"}});       // hamborn-b:4
    clone.set_fields(case_id, {{"phase", "linking"}});   // hamborn-b:3, different
    clone.set_fields(case_id, {{"need.kita", "2"}});     // hamborn-b:4, different

    // a holds b:4 while it waits for b:1..b:3.
    const auto fourth = [](const json& c) { return c["seq"] == 4; };
    const auto report = a.import_changes(kim::test::filter_changes(b1->export_changes(), fourth));
    EXPECT_EQ(report.waiting, 1u);
    EXPECT_EQ(report.applied, 0u);
    remember();
    ASSERT_EQ(status.waiting_changes, 1u);
    // Another b:4 is refused as well, though neither is applied yet.
    expect_refused(kim::test::filter_changes(clone.export_changes(), fourth), "equivocation");
    // The held change is applied once the gap closes.
    a.import_changes(b1->export_changes());
    EXPECT_EQ(a.status().waiting_changes, 0u);
    EXPECT_EQ(kim::test::shown(a, case_id, "need.kita"), "1");
    b1->import_changes(a.export_changes());
    EXPECT_EQ(a.state_digest(), b1->state_digest());
}

}  // namespace
