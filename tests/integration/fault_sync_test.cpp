// Real replicas of three sites syncing through a TCP proxy that injects
// seeded network faults (tests/support/fault_proxy.hpp) for hundreds of
// rounds while they keep editing; after a final clean sync every site has
// converged, the server holds every change written exactly once, every
// change is at every replica of its site, and the auditor verifies the log.
// KIM_FAULT_SEED reruns one schedule; KIM_FAULT_ROUNDS sets the number of
// syncs through the faults (200 by default).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../client/replica_fixture.hpp"
#include "fault_proxy.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/ids.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using kim::change_id;
using kim::client::Replica;
using kim::client::SyncOptions;
using kim::client::SyncReport;
using kim::test::Fault;
using kim::test::FaultProxy;
using kim::test::ServerProcess;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    if (!text || !*text) return fallback;
    return std::strtoull(text, nullptr, 10);
}

// One change the test wrote, as the test saw it: every write call of the
// replica API is one signed change, numbered 1, 2, 3... per origin. The
// product's own bookkeeping is what is checked against this, not the source.
struct Written {
    std::string site;
    std::string record;
    std::vector<std::pair<std::string, std::string>> fields;  // field, value
};

struct Node {
    std::string id;
    std::string site;
    fs::path home;
    Replica replica;
    std::uint64_t seq = 0;  // changes written here so far
};

struct SiteRecord {
    std::string id;
    std::string kind;        // case or referral
    std::string created_by;  // origin:seq
};

// The rows of a SQLite file read behind the program's back, read-only.
class ReadOnlyDb {
public:
    explicit ReadOnlyDb(const fs::path& file) {
        if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("cannot open " + file.string() + ": " + why);
        }
        sqlite3_busy_timeout(db_, 10'000);
    }
    ~ReadOnlyDb() { sqlite3_close(db_); }
    ReadOnlyDb(const ReadOnlyDb&) = delete;
    ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

    // Every row, each column as bytes (text and blobs alike).
    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            throw std::runtime_error("cannot prepare " + sql + ": " + sqlite3_errmsg(db_));
        }
        std::vector<std::vector<std::string>> out;
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
                row.emplace_back(p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, c))) : std::string());
            }
            out.push_back(std::move(row));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) throw std::runtime_error("cannot read " + sql + ": " + sqlite3_errmsg(db_));
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

// A sync that outlives every timeout it was given is a hang: say so with the
// seed and what the proxy did, then abort, rather than wait for ctest's kill.
class Watchdog {
public:
    Watchdog(std::chrono::seconds limit, std::function<std::string()> diagnostics)
        : limit_(limit), diagnostics_(std::move(diagnostics)), thread_([this] { watch(); }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    void arm(std::string what) {
        std::lock_guard lock(mutex_);
        what_ = std::move(what);
        deadline_ = Clock::now() + limit_;
        armed_ = true;
        cv_.notify_all();
    }
    void disarm() {
        std::lock_guard lock(mutex_);
        armed_ = false;
    }

private:
    void watch() {
        std::unique_lock lock(mutex_);
        while (!done_) {
            if (!armed_) {
                cv_.wait(lock);
                continue;
            }
            const auto deadline = deadline_;
            if (cv_.wait_until(lock, deadline, [&] { return done_ || !armed_ || deadline_ != deadline; })) continue;
            std::fprintf(stderr, "HANG: %s did not end within %lld s, far beyond its timeouts.\n%s\n", what_.c_str(),
                         static_cast<long long>(limit_.count()), diagnostics_().c_str());
            std::abort();
        }
    }

    std::chrono::seconds limit_;
    std::function<std::string()> diagnostics_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    bool armed_ = false;
    Clock::time_point deadline_{};
    std::string what_;
    std::thread thread_;
};

class network_faults : public ::testing::Test {
protected:
    network_faults()
        : seed_(env_number("KIM_FAULT_SEED", std::random_device{}() * 0x100000001ULL ^ std::random_device{}())),
          rounds_(env_number("KIM_FAULT_ROUNDS", 200)),
          rng_(seed_),
          server_(KIM_SERVER_BINARY, dir_ / "server") {
        std::cout << "[ faults   ] seed " << seed_ << " (KIM_FAULT_SEED=" << seed_ << " repeats this run)" << std::endl;
        server_.start();
        proxy_ = std::make_unique<FaultProxy>(server_.port(), seed_);
    }

    Node& add(const std::string& site, const std::string& id, Node* join_to = nullptr) {
        const fs::path home = dir_ / id;
        Replica r = join_to ? kim::test::join_replica(join_to->replica, home, id) : kim::test::make_replica(home, site, id);
        const auto info = Replica::info(home);
        server_.enrol_replica(info.replica, info.site, info.public_key);
        nodes_.push_back(std::make_unique<Node>(Node{id, site, home, std::move(r)}));
        return *nodes_.back();
    }

    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

    // A value the catalogue takes for `field`, unique where the field is text.
    std::string value_for(const std::string& field) {
        static const std::vector<std::string> phases{"intake", "assessment", "planning", "linking", "monitoring", "evaluation"};
        static const std::vector<std::string> outcomes{"pending", "successful", "partly_successful", "unsuccessful", "cancelled"};
        if (field.rfind("need.", 0) == 0) return std::to_string(pick(4));
        if (field == "phase") return phases[pick(phases.size())];
        if (field == "outcome") return outcomes[pick(outcomes.size())];
        return "Vermerk " + std::to_string(++texts_) + " (Runde " + std::to_string(round_) + ")";
    }

    // Records one write that returned normally: the next seq of its origin.
    void note(Node& n, const std::string& record, std::vector<std::pair<std::string, std::string>> fields) {
        written_[change_id(n.id, ++n.seq)] = Written{n.site, record, std::move(fields)};
    }

    std::vector<Node*> site_nodes(const std::string& site) {
        std::vector<Node*> out;
        for (auto& n : nodes_) {
            if (n->site == site) out.push_back(n.get());
        }
        return out;
    }

    // One edit as an RSC makes it; an edit of a record that has not reached
    // this replica yet is skipped (nothing is written then).
    void edit(Node& n) {
        auto& records = records_[n.site];
        const std::size_t op = pick(10);
        try {
            if (records.empty() || op < 3) {
                const std::string name = value_for("name");
                const std::string need = value_for("need.wohnen");
                const std::string id = n.replica.create_case({{"name", name}, {"need.wohnen", need}, {"phase", "intake"}});
                note(n, id, {{"name", name}, {"need.wohnen", need}, {"phase", "intake"}});
                records.push_back({id, "case", change_id(n.id, n.seq)});
                return;
            }
            const SiteRecord target = records[pick(records.size())];
            if (op == 3 && target.kind == "case") {
                const std::string agency = value_for("agency");
                const kim::client::FieldInputs fields{{"agency", agency}, {"target_type", "jobcenter"}, {"outcome", "pending"}};
                const std::string id = n.replica.add_record("referral", target.id, fields);
                note(n, id, fields);
                records.push_back({id, "referral", change_id(n.id, n.seq)});
                return;
            }
            if (op == 4) {
                const auto conflicts = n.replica.conflicts();
                if (!conflicts.empty()) {
                    const auto& c = conflicts[pick(conflicts.size())];
                    const std::string value = value_for(c.field);
                    n.replica.resolve(c.record, c.field, value);
                    note(n, c.record, {{c.field, value}});
                    ++resolved_;
                    return;
                }
            }
            static const std::vector<std::string> case_fields{"assessment", "phase", "need.arbeit", "need.gesundheit", "address"};
            static const std::vector<std::string> referral_fields{"outcome", "details"};
            const auto& fields = target.kind == "case" ? case_fields : referral_fields;
            const std::string field = fields[pick(fields.size())];
            if (op >= 8) {
                // The same field of the same record on two replicas of the
                // site before either syncs: concurrent edits, a conflict.
                const auto peers = site_nodes(n.site);
                Node& other = *peers[pick(peers.size())];
                if (&other != &n) {
                    const std::string mine = value_for(field);
                    const std::string theirs = value_for(field);
                    other.replica.set_fields(target.id, {{field, theirs}});
                    note(other, target.id, {{field, theirs}});
                    n.replica.set_fields(target.id, {{field, mine}});
                    note(n, target.id, {{field, mine}});
                    ++concurrent_;
                    return;
                }
            }
            const std::string value = value_for(field);
            n.replica.set_fields(target.id, {{field, value}});
            note(n, target.id, {{field, value}});
        } catch (const kim::NotFoundError&) {
            ++skipped_;  // not here yet
        } catch (const kim::StateError&) {
            ++skipped_;  // its case key not here yet
        }
    }

    // One sync through the proxy; false when it did not complete.
    bool sync_through_proxy(Node& n, const SyncOptions& options, Watchdog& watchdog, std::vector<std::string>& unexpected) {
        watchdog.arm("the sync of " + n.id + " in round " + std::to_string(round_));
        const std::uint64_t first_connection = proxy_->counts().connections;
        const auto start = Clock::now();
        bool complete = false;
        try {
            const SyncReport report = kim::client::sync(n.replica, options);
            complete = report.complete();
            pushed_ += report.pushed;
            push_duplicates_ += report.push_duplicates;
            pull_duplicates_ += report.applied.duplicates;
            if (!complete) {
                const std::string why =
                    report.refused.empty() ? "stopped" : report.refused.front().id + ": " + report.refused.front().message;
                unexpected.push_back("round " + std::to_string(round_) + ", " + n.id + ": incomplete sync (" + why + ")");
            }
        } catch (const kim::client::UnreachableError&) {
            ++broken_syncs_;  // expected: a fault struck; nothing is lost, the next round retries
        } catch (const std::exception& e) {
            // A fault on the wire may only ever look like an unreachable server.
            unexpected.push_back("round " + std::to_string(round_) + ", " + n.id + ": " + e.what() + "\n" +
                                 connections_since(first_connection));
        }
        watchdog.disarm();
        longest_sync_ = std::max(longest_sync_, std::chrono::duration_cast<milliseconds>(Clock::now() - start));
        return complete;
    }

    // What the proxy did to the connections of one sync, from its journal.
    std::string connections_since(std::uint64_t first) const {
        // A connection is journalled once the proxy saw it close, which may
        // come just after the sync returned: give its threads a moment.
        for (int i = 0; i < 100; ++i) {
            const auto c = proxy_->counts();
            std::uint64_t finished = c.unfaulted;
            for (std::size_t k = 0; k < kim::test::fault_kinds; ++k) finished += c.struck[k] + c.missed[k];
            if (finished >= c.connections) break;
            std::this_thread::sleep_for(milliseconds(20));
        }
        std::string s = "what the proxy did to its connections:\n";
        for (const auto& line : proxy_->journal()) {
            if (std::stoull(line.substr(1)) >= first) s += "  " + line + "\n";
        }
        return s;
    }

    std::string diagnostics() const {
        std::string s = "seed " + std::to_string(seed_) + "; proxy: " + proxy_->summary() + "\nlast connections:\n";
        const auto journal = proxy_->journal();
        for (std::size_t i = journal.size() > 30 ? journal.size() - 30 : 0; i < journal.size(); ++i) {
            s += "  " + journal[i] + "\n";
        }
        return s;
    }

    // The canonical text of a replica's conflicts, to compare two replicas.
    static std::string conflicts_text(Replica& r) {
        std::vector<std::string> lines;
        for (const auto& c : r.conflicts()) {
            std::string line = c.record + "/" + c.field + ":";
            for (const auto& h : c.heads) line += " " + h.change + "=" + h.value;
            lines.push_back(line);
        }
        std::sort(lines.begin(), lines.end());
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }

    kim::test::TempDir dir_{"kimsync-faults"};
    const std::uint64_t seed_;
    const std::uint64_t rounds_;
    std::mt19937_64 rng_;  // the test's own choices; the proxy draws its plans from the same seed
    ServerProcess server_;
    std::unique_ptr<FaultProxy> proxy_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::map<std::string, std::vector<SiteRecord>> records_;  // by site
    std::map<std::string, Written> written_;                  // by origin:seq
    int round_ = 0;
    std::uint64_t texts_ = 0;
    std::size_t skipped_ = 0, concurrent_ = 0, resolved_ = 0, broken_syncs_ = 0;
    // Over the syncs that completed: a duplicate is a batch or page sent
    // again after a fault lost its answer.
    std::size_t pushed_ = 0, push_duplicates_ = 0, pull_duplicates_ = 0;
    milliseconds longest_sync_{0};
};

TEST_F(network_faults, replicas_syncing_through_faults_converge_and_lose_or_double_nothing) {
    const auto started = Clock::now();
    Node& hamborn_a = add("hamborn", "hamborn-a");
    add("hamborn", "hamborn-b", &hamborn_a);
    add("hamborn", "hamborn-c", &hamborn_a);
    Node& hochfeld_a = add("hochfeld", "hochfeld-a");
    add("hochfeld", "hochfeld-b", &hochfeld_a);
    add("rheinhausen", "rheinhausen-a");

    // Short timeouts, so that a stall costs half a second; small batches and
    // pages, so that faults land between and inside them.
    SyncOptions faulty;
    faulty.server = proxy_->url();
    faulty.connect_timeout = milliseconds(env_number("KIM_FAULT_TIMEOUT_MS", 500));
    faulty.request_timeout = milliseconds(env_number("KIM_FAULT_TIMEOUT_MS", 500));
    faulty.push_batch_changes = 3;
    faulty.pull_limit = 4;
    // A sync with these timeouts ends within seconds; one still running after 90 s hangs.
    Watchdog watchdog(std::chrono::seconds(90), [this] { return diagnostics(); });

    std::vector<std::string> unexpected;
    std::uint64_t fault_rounds = 0;
    std::size_t completed = 0;
    while (fault_rounds < rounds_) {
        ++round_;
        const std::size_t editors = 1 + pick(3);
        for (std::size_t i = 0; i < editors; ++i) {
            Node& n = *nodes_[pick(nodes_.size())];
            const std::size_t edits = 1 + pick(4);
            for (std::size_t e = 0; e < edits; ++e) edit(n);
        }
        std::vector<Node*> order;
        for (auto& n : nodes_) order.push_back(n.get());
        std::shuffle(order.begin(), order.end(), rng_);
        order.resize(2 + pick(3));
        for (Node* n : order) {
            if (sync_through_proxy(*n, faulty, watchdog, unexpected)) ++completed;
            ++fault_rounds;
        }
    }
    const auto faults_done = Clock::now();

    // The final clean sync: the same URL (the replicas' acknowledgements and
    // cursors refer to it), faults off, the default timeouts; all of them
    // twice, so that what the last one pushed reaches every other.
    proxy_->set_faults(false);
    SyncOptions clean;
    clean.server = proxy_->url();
    for (int pass = 0; pass < 2; ++pass) {
        for (auto& n : nodes_) {
            watchdog.arm("the clean sync of " + n->id);
            const SyncReport report = kim::client::sync(n->replica, clean);
            watchdog.disarm();
            EXPECT_TRUE(report.complete()) << n->id;
            EXPECT_EQ(report.outbox_left, 0u) << n->id;
        }
    }

    // Each site converged: the same records, values and conflicts everywhere.
    for (const auto& [site, records] : records_) {
        const auto peers = site_nodes(site);
        const std::string digest = peers.front()->replica.state_digest();
        const std::string conflicts = conflicts_text(peers.front()->replica);
        for (Node* n : peers) {
            EXPECT_EQ(n->replica.state_digest(), digest) << n->id << " differs from " << peers.front()->id;
            EXPECT_EQ(conflicts_text(n->replica), conflicts) << n->id << " differs from " << peers.front()->id;
        }
    }

    // The server holds every change written, each exactly once, with the
    // hash its origin signed, and nothing else.
    std::map<std::string, std::string> hash_at_origin;
    for (auto& n : nodes_) {
        EXPECT_EQ(n->replica.sync_state().outbox, 0u) << n->id;
        ReadOnlyDb db(n->home / Replica::database_file);
        EXPECT_EQ(db.rows("SELECT COUNT(*) FROM pending").at(0).at(0), "0") << n->id << " still has changes waiting";
        for (const auto& row : db.rows("SELECT seq, hash FROM changes WHERE origin = '" + n->id + "'")) {
            hash_at_origin[change_id(n->id, std::stoull(row[0]))] = row[1];
        }
    }
    {
        ReadOnlyDb store(server_.data_dir() / "server.db");
        std::map<std::string, int> copies;
        std::map<std::string, std::string> hash_at_server;
        for (const auto& row : store.rows("SELECT origin, seq, site, hash FROM log")) {
            const std::string id = change_id(row[0], std::stoull(row[1]));
            ++copies[id];
            hash_at_server[id] = row[3];
            const auto w = written_.find(id);
            if (w == written_.end()) {
                ADD_FAILURE() << "the server holds " << id << ", which the test never wrote";
            } else {
                EXPECT_EQ(row[2], w->second.site) << id;
            }
        }
        for (const auto& [id, w] : written_) {
            EXPECT_EQ(copies[id], 1) << id << " is held " << copies[id] << " times at the server";
            EXPECT_EQ(hash_at_origin.count(id), 1u) << id << " is missing at its own origin";
            EXPECT_EQ(hash_at_server[id], hash_at_origin[id]) << id << " differs between its origin and the server";
        }
        EXPECT_EQ(copies.size(), written_.size());

        // Every change of a site is at every replica of that site (with the
        // server's hash), and no replica holds anything else.
        for (auto& n : nodes_) {
            ReadOnlyDb db(n->home / Replica::database_file);
            std::map<std::string, std::string> held;
            for (const auto& row : db.rows("SELECT origin, seq, hash FROM changes")) {
                held[change_id(row[0], std::stoull(row[1]))] = row[2];
            }
            std::size_t of_site = 0;
            for (const auto& [id, w] : written_) {
                if (w.site != n->site) continue;
                ++of_site;
                const auto h = held.find(id);
                if (h == held.end()) {
                    ADD_FAILURE() << n->id << " lacks " << id;
                } else {
                    EXPECT_EQ(h->second, hash_at_server[id]) << n->id << " holds another " << id;
                }
            }
            EXPECT_EQ(held.size(), of_site) << n->id << " holds changes the test did not write for its site";
        }
    }

    // What each replica shows was written by the test: every head names a
    // change that wrote that value to that field, and a field only one
    // replica wrote shows that replica's last value.
    std::map<std::pair<std::string, std::string>, std::set<std::string>> writers;            // (record, field) -> origins
    std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::string>> last;  // -> (seq, value)
    for (const auto& [id, w] : written_) {
        const auto [origin, seq] = *kim::parse_change_id(id);
        for (const auto& [field, value] : w.fields) {
            writers[{w.record, field}].insert(origin);
            auto& l = last[{w.record, field}];
            if (seq >= l.first) l = {seq, value};
        }
    }
    std::size_t checked_fields = 0;
    for (auto& n : nodes_) {
        for (const SiteRecord& rec : records_[n->site]) {
            const kim::client::RecordView view = n->replica.read(rec.id);
            for (const auto& f : view.fields) {
                const auto key = std::make_pair(rec.id, f.name);
                std::vector<kim::client::HeadValue> heads{f.shown};
                heads.insert(heads.end(), f.conflicting.begin(), f.conflicting.end());
                for (const auto& h : heads) {
                    const auto w = written_.find(h.change);
                    ASSERT_NE(w, written_.end())
                        << n->id << ": " << rec.id << "/" << f.name << " shows unknown change " << h.change;
                    ASSERT_EQ(w->second.record, rec.id) << h.change;
                    const auto v = std::find_if(w->second.fields.begin(), w->second.fields.end(),
                                                [&](const auto& p) { return p.first == f.name; });
                    if (v == w->second.fields.end()) {
                        // A value kim fills in itself (opened_quarter, status...) comes with the record.
                        EXPECT_EQ(h.change, rec.created_by) << n->id << ": " << rec.id << "/" << f.name << " was never written";
                    } else {
                        EXPECT_EQ(h.value, v->second) << n->id << ": " << rec.id << "/" << f.name << " from " << h.change;
                    }
                }
                if (writers[key].size() == 1) {
                    EXPECT_TRUE(f.conflicting.empty()) << rec.id << "/" << f.name << " had one writer";
                    EXPECT_EQ(f.shown.value, last[key].second) << n->id << ": " << rec.id << "/" << f.name;
                }
                ++checked_fields;
            }
        }
        // Site isolation held through all of it.
        for (const auto& [site, records] : records_) {
            if (site == n->site || records.empty()) continue;
            EXPECT_THROW(n->replica.read(records.front().id), kim::NotFoundError) << n->id << " holds a record of " << site;
        }
    }

    // The auditor verifies the whole log the faults went through.
    const auto key_file = dir_ / "auditor.key";
    const auto keygen = kim::test::run_process({KIM_AUDIT_BINARY, "keygen", "--out", key_file.string(), "--name", "pruefer"});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    std::ifstream key_in(key_file);
    const std::string auditor_key = json::parse(key_in).at("public_key").get<std::string>();
    server_.admin({"user", "add", "pruefer", "--role", "auditor", "--pubkey", auditor_key});
    const auto audit = kim::test::run_process(
        {KIM_AUDIT_BINARY, "--server", server_.url(), "--key", key_file.string(), "verify", "--json"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
    json verdict = json::object();
    try {
        verdict = json::parse(audit.out);
    } catch (const json::exception&) {
    }
    EXPECT_TRUE(verdict.value("ok", false)) << audit.out << audit.err;
    EXPECT_TRUE(verdict.contains("failures") && verdict["failures"].empty()) << audit.out;
    EXPECT_EQ(verdict.value("changes", std::uint64_t{0}), written_.size()) << audit.out;

    // The run proved something only if every kind of fault really struck,
    // and syncs both broke and got through while they did.
    const FaultProxy::Counts counts = proxy_->counts();
    for (std::size_t k = 0; k < kim::test::fault_kinds; ++k) {
        EXPECT_GT(counts.struck[k], 0u) << "no " << kim::test::fault_name(static_cast<Fault>(k))
                                        << " struck: raise KIM_FAULT_ROUNDS or change the seed";
    }
    EXPECT_GT(broken_syncs_, 0u);
    EXPECT_GT(completed, 0u);
    EXPECT_GT(concurrent_, 0u) << "no concurrent edits were made";
    for (const auto& u : unexpected) ADD_FAILURE() << u;

    const auto ms = [](auto d) { return std::chrono::duration_cast<milliseconds>(d).count(); };
    std::cout << "[ faults   ] seed " << seed_ << ": " << fault_rounds << " fault rounds in " << round_ << " rounds survived ("
              << completed << " syncs complete, " << broken_syncs_ << " broken by a fault, longest " << longest_sync_.count()
              << " ms)\n"
              << "[ faults   ] proxy: " << proxy_->summary() << "\n"
              << "[ faults   ] through the faults: " << pushed_ << " changes stored, " << push_duplicates_
              << " pushed again after a lost answer, " << pull_duplicates_ << " pulled twice\n"
              << "[ faults   ] " << written_.size() << " changes written (" << concurrent_ << " concurrent pairs, " << resolved_
              << " resolutions, " << skipped_ << " edits skipped), " << checked_fields << " shown fields checked\n"
              << "[ faults   ] " << ms(faults_done - started) << " ms under faults, " << ms(Clock::now() - started)
              << " ms in all"
              << std::endl;
    RecordProperty("fault_seed", std::to_string(seed_));
    RecordProperty("fault_rounds", static_cast<int>(fault_rounds));
    if (HasFailure()) std::cout << diagnostics();
}

}  // namespace
