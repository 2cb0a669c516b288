// The auditor against a real server's store: a clean log verifies, and each
// kind of tampering an administrator (or an intruder with the server's
// files) could do is caught by the real `kim-audit verify`, which names the
// change and the fault. Erasure keeps the proof and leaves no trace of the case.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../client/replica_fixture.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/crypto.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "store_surgery.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using kim::client::Replica;
using kim::test::ServerProcess;
using kim::test::StoreSurgery;
using nlohmann::json;

constexpr const char* person = "Amira Haddad";
constexpr const char* note = "Termin bei der Ausländerbehörde am Montag vereinbart";

struct Verdict {
    int exit_code = -1;
    json report;
    std::string output;  // stdout and stderr, for failure messages

    // Whether a failure has this fault code and names this change (origin:seq).
    bool has(const std::string& fault, const std::string& change) const {
        return any([&](const json& f) { return f.value("fault", "") == fault && f.value("change", "") == change; });
    }
    // Whether a failure has this fault code and stands at this server seq.
    bool has_at(const std::string& fault, std::uint64_t server_seq) const {
        return any([&](const json& f) {
            return f.value("fault", "") == fault && f.value("server_seq", std::uint64_t{0}) == server_seq;
        });
    }
    bool has_fault(const std::string& fault) const {
        return any([&](const json& f) { return f.value("fault", "") == fault; });
    }
    template <typename P>
    bool any(P&& predicate) const {
        if (!report.contains("failures")) return false;
        for (const auto& f : report["failures"]) {
            if (predicate(f)) return true;
        }
        return false;
    }
    std::string message_of(const std::string& fault) const {
        std::string out;
        any([&](const json& f) {
            if (f.value("fault", "") == fault) out = f.value("message", "");
            return !out.empty();
        });
        return out;
    }
};

class audit_of_a_real_store : public ::testing::Test {
protected:
    audit_of_a_real_store() : server_(KIM_SERVER_BINARY, dir_ / "server") {
        server_.start({"--checkpoint-every", "5"});
        const auto keygen = kim::test::run_process(
            {KIM_AUDIT_BINARY, "keygen", "--out", (dir_ / "auditor.key").string(), "--name", "pruefer"});
        if (keygen.exit_code != 0) throw std::runtime_error("kim-audit keygen failed: " + keygen.err);
        std::ifstream in(dir_ / "auditor.key");
        const json key = json::parse(in);
        server_.admin({"user", "add", "pruefer", "--role", "auditor", "--pubkey", key.at("public_key").get<std::string>()});

        hamborn_a_ = std::make_unique<Replica>(make("hamborn", "hamborn-a"));
        hamborn_b_ = std::make_unique<Replica>(join(*hamborn_a_, "hamborn-b"));
        hochfeld_ = std::make_unique<Replica>(make("hochfeld", "hochfeld-a"));
        write_history();
    }

    Replica make(const std::string& site, const std::string& id) {
        return kim::test::make_enrolled_replica(server_, dir_ / id, site, id);
    }
    Replica join(Replica& existing, const std::string& id) {
        return kim::test::join_enrolled_replica(server_, existing, dir_ / id, id);
    }
    void sync(Replica& r) {
        kim::client::SyncOptions options;
        options.server = server_.url();
        kim::client::sync(r, options);
    }
    void sync_all() {
        for (Replica* r : {hamborn_a_.get(), hamborn_b_.get(), hochfeld_.get()}) sync(*r);
        for (Replica* r : {hamborn_a_.get(), hamborn_b_.get(), hochfeld_.get()}) sync(*r);
    }

    // A case as an RSC opens it: consent to processing first, then the work.
    static std::string open_case(Replica& r, const std::string& name) {
        const std::string id = r.create_case({{"name", name}, {"birth_date", "1988-04-12"}, {"need.wohnen", "2"}});
        r.add_record("consent", id, {{"scope", "processing"}, {"form_version", "KIM-E 2026/1"}});
        r.set_fields(id, {{"phase", "assessment"}, {"need.aufenthalt", "3"}});
        r.add_record("contact", id, {{"text", note}, {"mode", "in_person"}});
        return id;
    }

    void write_history() {
        amira_ = open_case(*hamborn_a_, person);
        sync(*hamborn_a_);
        sync(*hamborn_b_);
        hamborn_b_->set_fields(amira_, {{"phase", "planning"}});
        open_case(*hamborn_b_, "Olena Shevchenko");
        open_case(*hochfeld_, "Mehmet Demir");
        open_case(*hamborn_a_, "Giorgos Papadopoulos");
        sync_all();
    }

    Verdict verify(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv{KIM_AUDIT_BINARY, "--server", server_.url(), "--key",
                                      (dir_ / "auditor.key").string(), "verify", "--json"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const auto result = kim::test::run_process(argv);
        Verdict v;
        v.exit_code = result.exit_code;
        v.output = result.out + result.err;
        try {
            v.report = json::parse(result.out);
        } catch (const json::exception&) {
            v.report = json::object();
        }
        return v;
    }
    std::vector<std::string> with_state() { return {"--state", (dir_ / "audit.state").string()}; }

    // Stops the server, lets `tamper` edit its store, and starts it again.
    template <typename F>
    void tamper(F&& edit) {
        server_.stop();
        {
            StoreSurgery store(server_.data_dir());
            edit(store);
        }
        server_.start({"--checkpoint-every", "5"});
    }

    kim::test::TempDir dir_{"kimsync-audit"};
    ServerProcess server_;
    std::unique_ptr<Replica> hamborn_a_, hamborn_b_, hochfeld_;
    std::string amira_;
};

std::string id_of(const kim::test::StoredLogRow& row) { return row.origin + ":" + std::to_string(row.seq); }

TEST_F(audit_of_a_real_store, a_clean_log_verifies_with_its_checkpoints) {
    const Verdict v = verify(with_state());
    ASSERT_EQ(v.exit_code, 0) << v.output;
    EXPECT_TRUE(v.report.value("ok", false)) << v.output;
    EXPECT_GE(v.report.value("changes", 0), 16);
    EXPECT_EQ(v.report.value("origins", 0), 3);
    EXPECT_GE(v.report.value("checkpoints", 0), 3) << "--checkpoint-every 5 over 16+ changes";
    EXPECT_TRUE(v.report["failures"].empty()) << v.output;
    EXPECT_TRUE(v.report["findings"].empty()) << "every case has its processing consent first: " << v.output;

    // Incremental: the next run verifies only what is new.
    hamborn_a_->set_fields(amira_, {{"need.arbeit", "1"}});
    sync(*hamborn_a_);
    const Verdict again = verify(with_state());
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(again.report.value("new_changes", -1), 1) << again.output;
}

TEST_F(audit_of_a_real_store, a_case_worked_on_before_its_consent_is_a_finding_not_a_failure) {
    const std::string id = hochfeld_->create_case({{"name", "Ohne Einwilligung"}});
    hochfeld_->set_fields(id, {{"need.arbeit", "2"}});
    sync(*hochfeld_);
    const Verdict v = verify();
    ASSERT_EQ(v.exit_code, 0) << v.output;
    ASSERT_EQ(v.report["findings"].size(), 1u) << v.output;
    EXPECT_NE(v.report["findings"][0].dump().find(id), std::string::npos) << v.output;
}

TEST_F(audit_of_a_real_store, a_flipped_byte_in_a_stored_ciphertext_is_named) {
    std::string target;
    tamper([&](StoreSurgery& store) {
        auto row = store.first_with_ciphertext("hamborn-b", "name");
        for (auto& op : row.envelope["ops"]) {
            if (op["field"] == "name") op["ct"] = kim::test::flip_base64(op["ct"].get<std::string>(), 30);
        }
        store.set_envelope(row.server_seq, row.envelope);
        target = id_of(row);
    });
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has("ciphertext", target)) << "expected a ciphertext fault of " << target << ": " << v.output;
    EXPECT_NE(v.message_of("ciphertext").find("'name'"), std::string::npos) << "the field is named: " << v.output;
}

TEST_F(audit_of_a_real_store, a_changed_statistical_value_is_named) {
    std::string target;
    tamper([&](StoreSurgery& store) {
        for (auto& row : store.log()) {
            for (auto& op : row.envelope["ops"]) {
                if (op["field"] == "need.wohnen" && target.empty()) {
                    op["value"] = "0";
                    store.set_envelope(row.server_seq, row.envelope);
                    target = id_of(row);
                }
            }
        }
    });
    ASSERT_FALSE(target.empty());
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has("signature", target)) << "expected a bad signature of " << target << ": " << v.output;
    EXPECT_TRUE(v.has("chain", target)) << "expected the chain to part at " << target << ": " << v.output;
}

TEST_F(audit_of_a_real_store, a_deleted_change_is_named) {
    std::string deleted;
    std::string next_of_origin;
    tamper([&](StoreSurgery& store) {
        const auto log = store.log();
        const auto& victim = log.at(6);
        deleted = id_of(victim);
        next_of_origin = victim.origin + ":" + std::to_string(victim.seq + 1);
        store.delete_change(victim.server_seq);
    });
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has("gap", next_of_origin))
        << "expected a gap before " << next_of_origin << " (" << deleted << " is missing): " << v.output;
    EXPECT_NE(v.message_of("gap").find(deleted), std::string::npos) << "the missing change is named: " << v.output;
    EXPECT_TRUE(v.has_fault("sequence")) << "the server seq of the deleted change is missing: " << v.output;
}

TEST_F(audit_of_a_real_store, two_swapped_changes_are_named) {
    std::string first;
    tamper([&](StoreSurgery& store) {
        const auto log = store.log();
        // Two changes of different replicas, so that each origin's own order still holds.
        std::size_t a = 8;
        std::size_t b = a + 1;
        while (log.at(b).origin == log.at(a).origin) ++b;
        store.swap(log.at(a).server_seq, log.at(b).server_seq);
        first = id_of(log.at(b));  // now at the earlier place
    });
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has("chain", first)) << "expected the chain to part at " << first << ": " << v.output;
}

TEST_F(audit_of_a_real_store, a_change_forged_in_another_replicas_name_is_named) {
    std::string forged_id;
    tamper([&](StoreSurgery& store) {
        // The next change of hamborn-a, correctly chained, signed with a key that is not hamborn-a's.
        kim::test::StoredLogRow last;
        for (auto& row : store.log()) {
            if (row.origin == "hamborn-a") last = row;
        }
        kim::Change c = kim::change_from_json(last.envelope);
        const kim::Hash32 prev = kim::change_hash(c);
        c.seq += 1;
        c.prev = prev;
        c.hlc += 65536;
        c.ops = {kim::FieldOp{"phase", {}, json("closed"), std::nullopt, std::nullopt}};
        c.record = amira_;
        c.kind = "case";
        const auto intruder = kim::crypto::generate_signing_key();
        kim::seal_change(c, intruder.secret_key);
        store.append(c);
        forged_id = c.id();
    });
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has("signature", forged_id)) << "expected a bad signature of " << forged_id << ": " << v.output;
}

TEST_F(audit_of_a_real_store, history_rewritten_after_a_checkpoint_is_caught_by_the_saved_state) {
    ASSERT_EQ(verify(with_state()).exit_code, 0);
    tamper([&](StoreSurgery& store) {
        // A history consistent in itself: two changes of different replicas
        // reordered, every chain value recomputed and every checkpoint
        // re-signed with the server's own key — as a fresh store would be.
        // Neighbours, so that each replica's own order still holds.
        const auto log = store.log();
        std::size_t a = 0;
        while (log.at(a).origin == log.at(a + 1).origin) ++a;
        ASSERT_LT(log.at(a + 1).server_seq, 10u) << "the rewrite must lie before a checkpoint the auditor saw";
        store.swap(log.at(a).server_seq, log.at(a + 1).server_seq);
        store.rechain_and_resign();
    });
    const Verdict fresh = verify();
    EXPECT_EQ(fresh.exit_code, 0) << "without memory the rewritten log is consistent: " << fresh.output;
    const Verdict v = verify(with_state());
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has_fault("rewritten") || v.has_fault("checkpoint_mismatch"))
        << "expected the saved checkpoints to catch the rewrite: " << v.output;
}

TEST_F(audit_of_a_real_store, a_server_rolled_back_to_an_old_backup_is_caught_by_the_saved_state) {
    server_.stop();
    fs::copy(server_.data_dir(), dir_ / "backup", fs::copy_options::recursive);
    server_.start({"--checkpoint-every", "5"});
    for (int i = 0; i < 6; ++i) hochfeld_->set_fields(hochfeld_->list("case").at(0).id, {{"need.kita", std::to_string(i % 4)}});
    sync(*hochfeld_);
    ASSERT_EQ(verify(with_state()).exit_code, 0);

    server_.stop();
    fs::remove_all(server_.data_dir());
    fs::copy(dir_ / "backup", server_.data_dir(), fs::copy_options::recursive);
    server_.start({"--checkpoint-every", "5"});
    const Verdict v = verify(with_state());
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_FALSE(v.report.value("ok", true)) << v.output;
    EXPECT_TRUE(v.has_fault("rolled_back")) << v.output;
}

TEST_F(audit_of_a_real_store, a_purged_ciphertext_of_a_record_not_erased_is_named) {
    std::string target;
    tamper([&](StoreSurgery& store) {
        auto row = store.first_with_ciphertext("hochfeld-a", "name");
        for (auto& op : row.envelope["ops"]) op.erase("ct");
        store.set_envelope(row.server_seq, row.envelope);
        target = id_of(row);
    });
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has("purged", target)) << "expected a purge fault of " << target << ": " << v.output;
}

TEST_F(audit_of_a_real_store, a_checkpoint_with_a_bad_signature_is_named) {
    tamper([&](StoreSurgery& store) { store.flip_checkpoint_signature(10); });
    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 5) << v.output;
    EXPECT_TRUE(v.has_at("checkpoint_signature", 10)) << v.output;
}

// Everything of an erased case is gone from every replica's and the server's
// files — the name, the notes and every one of its ciphertexts — while the
// whole log still verifies.
TEST_F(audit_of_a_real_store, an_erasure_leaves_no_trace_of_the_case_and_the_audit_still_passes) {
    // The case's ciphertexts (of the case and of its consent and contact) before the erasure.
    std::set<std::string> records{amira_};
    for (const auto& r : hamborn_a_->records_of_case(amira_)) records.insert(r);
    std::vector<std::string> ciphertexts;
    const json exported = hamborn_a_->export_changes();  // kept alive: the loop reads a member of it
    for (const auto& change : exported["changes"]) {
        if (!records.count(change["record"].get<std::string>())) continue;
        for (const auto& op : change["ops"]) {
            if (op.contains("ct")) ciphertexts.push_back(op["ct"].get<std::string>());
        }
    }
    ASSERT_GE(ciphertexts.size(), 4u);

    std::vector<std::string> needles{person, note};
    for (const auto& ct : ciphertexts) {
        needles.push_back(ct);
        const auto raw = kim::base64_decode(ct);
        ASSERT_TRUE(raw.has_value());
        // The sealed bytes after the 24-byte nonce: unique to this value.
        needles.emplace_back(reinterpret_cast<const char*>(raw->data()) + 24, raw->size() - 24);
    }
    auto expect_no_trace = [&](const fs::path& dir, const std::string& when) {
        for (std::size_t i = 0; i < needles.size(); ++i) {
            const auto found = kim::test::files_containing(dir, needles[i]);
            EXPECT_TRUE(found.empty()) << "needle #" << i << " of the erased case is still in " << found.front() << " "
                                       << when;
        }
    };

    hamborn_b_->erase(amira_);
    sync_all();
    EXPECT_TRUE(hamborn_a_->read(amira_).erased);
    // The server purged while running, its store open: nothing left in its files (-wal included).
    expect_no_trace(server_.data_dir(), "while the server runs");

    const Verdict v = verify();
    EXPECT_EQ(v.exit_code, 0) << v.output;

    // Every file, with every replica closed and the server stopped.
    hamborn_a_.reset();
    hamborn_b_.reset();
    hochfeld_.reset();
    server_.stop();
    expect_no_trace(dir_.path(), "after everything closed");
    server_.start({"--checkpoint-every", "5"});
    const Verdict after = verify();
    EXPECT_EQ(after.exit_code, 0) << after.output;
}

}  // namespace
