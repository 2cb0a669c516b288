// Crashes (issue 6, item 2; figures in docs/reliability.md): the real
// kim-server and the real `kim` killed with SIGKILL at seeded random moments
// (during a push, a pull, a conflict resolution, a local edit, and while
// idle), then started again on the same files. Every store must open and pass
// `PRAGMA integrity_check`, no acknowledgement may run ahead of what the
// server holds, a killed edit is wholly there or wholly absent, and after a
// clean sync nothing is lost or doubled, the replicas of a site converge and
// the real kim-audit verifies the server's log.
//
// Where a kill lands is observed, not guessed: the server loop's replicas
// sync in threads that report their phase; the client loop reads the server's
// request log (signed in, first page sent) and SQLite's write lock on the
// replica (a resolution or an edit in its transaction), and classifies each
// kill by the state it left.
//
// KIM_CRASH_ITERATIONS (default 50) sets the least number of iterations of
// each loop (a kill each, or a run of `kim` that ended before its kill; a
// loop goes on, aimed at what is missing, until each kind of moment was hit
// a few times); KIM_CRASH_SEED repeats a run's choices (what is
// written, which command, how long into its phase the kill comes; the
// scheduler still moves the exact moments). Each loop prints its seed, where
// its kills landed and how long it took.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../client/replica_fixture.hpp"
#include "kim/client/sync.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using kim::client::Replica;
using kim::client::SyncOptions;
using kim::client::SyncProgress;
using kim::test::ServerProcess;
using nlohmann::json;

constexpr int default_iterations = 50;  // issue 6: at least 50 kills per loop
constexpr int checkpoint_every = 25;    // so that kills also land on checkpoint signing

int crash_iterations() {
    const char* env = std::getenv("KIM_CRASH_ITERATIONS");
    const int n = env && *env ? std::atoi(env) : default_iterations;
    return n > 0 ? n : default_iterations;
}

std::uint64_t crash_seed() {
    if (const char* env = std::getenv("KIM_CRASH_SEED"); env && *env) return std::stoull(env);
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
}

// Each category must be hit a few times for a loop to prove anything; fewer
// iterations (a quick local run) ask for proportionally fewer.
int wanted_hits(int iterations) { return std::clamp(iterations / 12, 1, 3); }

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void sleep_ms(double ms) {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000.0)));
}

class Dice {
public:
    explicit Dice(std::uint64_t seed) : rng_(seed) {}
    int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
    bool chance(double p) { return real(0.0, 1.0) < p; }

private:
    std::mt19937_64 rng_;
};

// How long after its phase began a kill comes: a random share of the phase's
// expected length, which follows where the kills land (too late: shorter,
// in the phase or too early: longer), so that the kills spread over the phase
// in the Debug build and under the sanitizers alike.
class KillDelay {
public:
    explicit KillDelay(double initial_ms) : expected_ms_(initial_ms) {}
    double draw(Dice& dice) const { return dice.real(0.0, expected_ms_); }
    void landed_late() { expected_ms_ = std::max(0.05, expected_ms_ * 0.7); }
    void landed_in_time() { expected_ms_ = std::min(3000.0, expected_ms_ * 1.15); }

private:
    double expected_ms_;
};

// --- SQLite files behind the programs' backs ----------------------------------

class Sql {
public:
    Sql(const fs::path& file, bool read_only) {
        const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("cannot open " + file.string() + ": " + why);
        }
        sqlite3_busy_timeout(db_, 10'000);
    }
    ~Sql() { sqlite3_close(db_); }
    Sql(const Sql&) = delete;
    Sql& operator=(const Sql&) = delete;

    std::vector<std::vector<std::string>> rows(const std::string& sql, const std::vector<std::string>& params = {}) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            throw std::runtime_error("cannot prepare " + sql + ": " + sqlite3_errmsg(db_));
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            sqlite3_bind_text(st, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
        }
        std::vector<std::vector<std::string>> out;
        int rc = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                const auto* p = sqlite3_column_text(st, c);
                row.emplace_back(p ? reinterpret_cast<const char*>(p) : "");
            }
            out.push_back(std::move(row));
        }
        const std::string why = sqlite3_errmsg(db_);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) throw std::runtime_error("SQL failed: " + sql + ": " + why);
        return out;
    }

    std::int64_t integer(const std::string& sql, const std::vector<std::string>& params = {}) {
        const auto r = rows(sql, params);
        if (r.empty() || r[0].empty()) throw std::runtime_error("no row from " + sql);
        return std::stoll(r[0][0].empty() ? "0" : r[0][0]);
    }

private:
    sqlite3* db_ = nullptr;
};

// "ok", or SQLite's list of what is damaged.
std::string integrity_of(const fs::path& file, bool read_only) {
    Sql db(file, read_only);
    std::string out;
    for (const auto& row : db.rows("PRAGMA integrity_check")) out += (out.empty() ? "" : "; ") + row.at(0);
    return out;
}

struct OriginInLog {
    std::int64_t rows = 0, first = 0, last = 0;
};

// The server's log per origin, counted in its store.
std::map<std::string, OriginInLog> origins_in_log(const fs::path& store) {
    Sql db(store, true);
    std::map<std::string, OriginInLog> out;
    for (const auto& r : db.rows("SELECT origin, COUNT(*), MIN(seq), MAX(seq) FROM log GROUP BY origin")) {
        out[r[0]] = {std::stoll(r[1]), std::stoll(r[2]), std::stoll(r[3])};
    }
    return out;
}

std::int64_t last_seq_at_server(const fs::path& store, const std::string& origin) {
    Sql db(store, true);
    return db.integer("SELECT COALESCE(MAX(seq), 0) FROM log WHERE origin = ?", {origin});
}

// What another process holds of SQLite's WAL locks on `db`. The unix VFS
// keeps them as POSIX locks on bytes of the -shm file from 120 on
// (UNIX_SHM_BASE): a write transaction holds the write lock (120) from BEGIN
// IMMEDIATE to the end of COMMIT, with a read lock (123-127) for its
// snapshot (given up for a moment when it restarts the WAL). The write lock
// without a read lock, or with the checkpoint and recovery locks (121, 122),
// is the first connection rebuilding the WAL index on opening (every `kim`
// run opens the file twice). F_GETLK looks without taking anything. The file
// is opened anew each time (the last connection to close deletes it); this
// process must hold no connection to `db` meanwhile, since closing any
// descriptor of the file drops this process's locks on it.
struct WalLocks {
    bool writer = false;    // the write lock, not recovering
    bool snapshot = false;  // a read lock
};

WalLocks wal_locks(const fs::path& db) {
    const std::string shm = db.string() + "-shm";
    const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    auto held = [fd](off_t first, off_t bytes) {
        struct flock probe {};
        probe.l_type = F_WRLCK;
        probe.l_whence = SEEK_SET;
        probe.l_start = first;
        probe.l_len = bytes;
        return fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    };
    const WalLocks locks{held(120, 1) && !held(121, 2), held(123, 5)};
    ::close(fd);
    return locks;
}

// A temporary folder on the build's disk rather than on tmpfs, removed at the
// end: there a commit holds SQLite's write lock while it fsyncs its WAL, as
// on a laptop, which gives the kills a window even inside a transaction as
// short as a conflict resolution (one small change).
class DiskDir {
public:
    DiskDir() {
        std::string pattern = (fs::path(KIM_BINARY_DIR) / "kimcrash-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a folder in " KIM_BINARY_DIR);
        path_ = pattern;
    }
    ~DiskDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    DiskDir(const DiskDir&) = delete;
    DiskDir& operator=(const DiskDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// --- the `kim` binary as a process that can be stopped and killed ---------------

class KimProcess {
public:
    // Standard output to `output`, standard error to `errors`.
    KimProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const fs::path& output,
               const fs::path& errors) {
        // Everything the child needs is built before fork: it only execs.
        std::vector<std::string> argv{KIM_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<std::string> envv;
        for (char** e = environ; *e; ++e) {
            const std::string entry = *e;
            if (!env.count(entry.substr(0, entry.find('=')))) envv.push_back(entry);
        }
        for (const auto& [k, v] : env) envv.push_back(k + "=" + v);
        std::vector<char*> argp, envp;
        for (auto& a : argv) argp.push_back(a.data());
        argp.push_back(nullptr);
        for (auto& e : envv) envp.push_back(e.data());
        envp.push_back(nullptr);
        const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const int err = ::open(errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (out < 0 || err < 0 || in < 0) throw std::runtime_error("cannot open the output files of kim");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            setsid();  // no terminal: kim must never wait for a typed passphrase
            execve(argp[0], argp.data(), envp.data());
            _exit(127);
        }
        ::close(out);
        ::close(err);
        ::close(in);
    }
    ~KimProcess() {
        if (pid_ > 0) kill_hard();
    }
    KimProcess(const KimProcess&) = delete;
    KimProcess& operator=(const KimProcess&) = delete;

    bool running() {
        if (pid_ <= 0) return false;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) reaped(status);
        return pid_ > 0;
    }
    // SIGSTOP, and waits until it has stopped: from then on nothing it does
    // changes until it is continued or killed. False when it had ended.
    bool stop() {
        if (pid_ <= 0) return false;
        ::kill(pid_, SIGSTOP);
        const int status = wait_for(WUNTRACED);
        if (WIFSTOPPED(status)) return true;
        reaped(status);
        return false;
    }
    void resume() {
        if (pid_ > 0) ::kill(pid_, SIGCONT);
    }
    // SIGKILL (a stopped process dies as well) and reaps it.
    void kill_hard() {
        ::kill(pid_, SIGKILL);
        reaped(wait_for(0));
    }
    bool killed() const { return killed_; }
    int exit_code() const { return exit_code_; }

private:
    int wait_for(int options) const {
        int status = 0;
        while (waitpid(pid_, &status, options) != pid_) {
            if (errno != EINTR) throw std::runtime_error("waitpid failed for kim");
        }
        return status;
    }
    void reaped(int status) {
        killed_ = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
    }

    pid_t pid_ = -1;
    bool killed_ = false;
    int exit_code_ = -1;
};

// The server's request log (one line per answered request, written once the
// answer has gone out), read as it grows: which steps of a sync are done.
class RequestLog {
public:
    explicit RequestLog(fs::path file) : file_(std::move(file)) { poll(); }
    void poll() {
        std::ifstream in(file_, std::ios::binary);
        if (!in) throw std::runtime_error("no server log at " + file_.string());
        in.seekg(static_cast<std::streamoff>(offset_));
        std::ostringstream more;
        more << in.rdbuf();
        const std::string text = more.str();
        offset_ += text.size();
        partial_ += text;
        std::size_t end = 0;
        while ((end = partial_.find('\n')) != std::string::npos) {
            const std::string line = partial_.substr(0, end);
            partial_.erase(0, end + 1);
            if (line.find(" POST /v1/auth/token 200 ") != std::string::npos) ++tokens;
            if (line.find(" GET /v1/pull") != std::string::npos) ++pulls;
            if (line.find(" GET /healthz ") != std::string::npos) ++health_checks;
        }
    }
    // A line is written just after its answer went out, so the last lines of
    // a sync that has just ended may still be on their way: a health check
    // of our own, once logged, marks the end of everything before it.
    void settle(const std::string& url) {
        const int before = health_checks;
        kim::client::check_server(url, {});
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (health_checks == before && Clock::now() < deadline) {
            sleep_ms(0.5);
            poll();
        }
    }
    int tokens = 0;
    int pulls = 0;
    int health_checks = 0;

private:
    fs::path file_;
    std::size_t offset_ = 0;
    std::string partial_;
};

// --- what the test knows it wrote ----------------------------------------------

using Fields = std::map<std::string, std::string>;

// Every edit the test saw committed: per site every case by its (unique)
// name with the values it must show, and per replica the changes it wrote.
struct Model {
    std::map<std::string, std::map<std::string, Fields>> cases;  // site -> name -> field -> value
    std::map<std::string, std::uint64_t> own_changes;            // replica -> changes written there
    std::map<std::string, std::string> site_of;                  // replica -> site
};

// A page of case-journal text: enough bytes that pushes and pulls take a
// while; synthetic, and encrypted like any confidential field.
std::string journal_text(int n) {
    std::string text = "Gesprächsvermerk " + std::to_string(n) + ": ";
    while (text.size() < 1500) text += "Termin vereinbart, Unterlagen besprochen, nächste Schritte geplant. ";
    return text;
}

// A new case as an RSC opens it (consent to processing first, then a
// contact), in the form of Replica::create_cases and of `kim case import`.
struct CaseDraft {
    std::string name;
    Fields fields;
};

CaseDraft draft_case(const std::string& name, int n) {
    return {name,
            {{"name", name},
             {"birth_date", "1990-01-01"},
             {"address", "Musterstraße " + std::to_string(n % 90 + 1) + ", 47166 Duisburg"},
             {"assessment", "Erstgespräch " + std::to_string(n)},
             {"need.wohnen", std::to_string(n % 4)},
             {"need.arbeit", "0"},
             {"household_band", "unknown"}}};
}

constexpr std::uint64_t changes_per_case = 3;  // the case, its consent, its contact

kim::client::NewCase new_case_of(const CaseDraft& d, int n) {
    kim::client::NewCase c;
    c.origin = d.name;
    c.fields.assign(d.fields.begin(), d.fields.end());
    c.records = {{"consent", {{"scope", "processing"}}}, {"contact", {{"text", journal_text(n)}, {"mode", "in_person"}}}};
    return c;
}

std::string import_line(const CaseDraft& d, int n) {
    json fields = json::object();
    for (const auto& [k, v] : d.fields) fields[k] = v;
    return json{{"fields", fields},
                {"consents", json::array({{{"scope", "processing"}}})},
                {"contacts", json::array({{{"text", journal_text(n)}, {"mode", "in_person"}}})}}
               .dump() +
           "\n";
}

// Writes `count` new cases in one transaction and records them in the model.
std::vector<std::string> write_cases(Replica& r, Model& model, const std::string& prefix, int count) {
    std::vector<kim::client::NewCase> batch;
    std::vector<CaseDraft> drafts;
    for (int i = 0; i < count; ++i) {
        drafts.push_back(draft_case(prefix + "-" + std::to_string(i), i));
        batch.push_back(new_case_of(drafts.back(), i));
    }
    const auto ids = r.create_cases(batch);
    for (const auto& d : drafts) model.cases[r.site()][d.name] = d.fields;
    model.own_changes[r.replica_id()] += changes_per_case * static_cast<std::uint64_t>(count);
    return ids;
}

// --- the fixture: one server, its auditor, and the checks after a loop --------

class crash : public ::testing::Test {
protected:
    crash() : server_(KIM_SERVER_BINARY, dir_ / "server") {
        server_.start(serve_args());
        port_ = server_.port();
        const auto keygen =
            kim::test::run_process({KIM_AUDIT_BINARY, "keygen", "--out", auditor_key().string(), "--name", "pruefer"});
        if (keygen.exit_code != 0) throw std::runtime_error("kim-audit keygen failed: " + keygen.err);
        std::ifstream in(auditor_key());
        const json key = json::parse(in);
        server_.admin({"user", "add", "pruefer", "--role", "auditor", "--pubkey", key.at("public_key").get<std::string>()});
    }

    static std::vector<std::string> serve_args() { return {"--checkpoint-every", std::to_string(checkpoint_every)}; }
    fs::path auditor_key() const { return dir_ / "auditor.key"; }
    fs::path store() const { return server_.data_dir() / "server.db"; }
    fs::path home(const std::string& replica) const { return (disk_ ? disk_->path() : dir_.path()) / replica; }
    // Where ServerProcess writes the server's stderr (its request log).
    fs::path server_log() const {
        return server_.data_dir().parent_path() / (server_.data_dir().filename().string() + ".log");
    }

    // A killed server comes back on the same port: the replicas' cursors and
    // acknowledgements belong to its URL. Another program may have taken the
    // port for a moment, so a few tries.
    double restart_server() {
        const auto t = Clock::now();
        for (int attempt = 0;; ++attempt) {
            try {
                server_.start(serve_args(), "127.0.0.1:" + std::to_string(port_));
                return ms_since(t);
            } catch (const std::exception& e) {
                if (attempt >= 20) throw std::runtime_error(std::string("kim-server does not start again: ") + e.what());
                sleep_ms(100);
            }
        }
    }

    void enrol(const std::string& replica) {
        const auto info = Replica::info(home(replica));
        server_.enrol_replica(info.replica, info.site, info.public_key);
    }

    kim::client::SyncReport sync(Replica& r) {
        SyncOptions options;
        options.server = server_.url();
        return kim::client::sync(r, options);
    }

    // An acknowledgement ahead of the server would keep a change from ever
    // being pushed again: after every kill, each replica's pushed_seq must be
    // held by the server (and its pull cursor must exist there).
    void expect_acknowledgements_held(Replica& r, const std::string& context) {
        const auto state = r.sync_state();
        EXPECT_LE(static_cast<std::int64_t>(state.pushed_seq), last_seq_at_server(store(), r.replica_id()))
            << context << ": " << r.replica_id() << " believes the server holds changes it does not";
        Sql db(store(), true);
        EXPECT_LE(static_cast<std::int64_t>(state.pull_cursor), db.integer("SELECT COALESCE(MAX(server_seq), 0) FROM log"))
            << context << ": " << r.replica_id() << " pulled beyond the server's log";
    }

    // After a loop and two clean syncs of every replica.
    void expect_nothing_lost_or_doubled(const Model& model, const std::map<std::string, Replica*>& replicas) {
        EXPECT_EQ(integrity_of(store(), true), "ok");
        const auto in_log = origins_in_log(store());
        std::uint64_t total = 0;
        for (const auto& [id, written] : model.own_changes) {
            total += written;
            const auto it = in_log.find(id);
            ASSERT_NE(it, in_log.end()) << "the server holds no change of " << id;
            // With (origin, seq) unique in the log: seqs 1..n, each once, n the changes written.
            const auto expected = static_cast<std::int64_t>(written);
            EXPECT_EQ(it->second.rows, expected) << "changes of " << id << " in the server's log (lost or doubled)";
            EXPECT_EQ(it->second.first, 1) << id;
            EXPECT_EQ(it->second.last, expected) << "the seqs of " << id << " at the server";
        }
        EXPECT_EQ(in_log.size(), model.own_changes.size()) << "the server holds changes of an origin the test does not know";
        std::map<std::string, std::int64_t> site_total;
        {
            Sql db(store(), true);
            EXPECT_EQ(db.integer("SELECT COUNT(*) FROM log"), static_cast<std::int64_t>(total));
            EXPECT_EQ(db.integer("SELECT COALESCE(MAX(server_seq), 0) FROM log"), static_cast<std::int64_t>(total))
                << "a hole in the server's sequence";
            for (const auto& r : db.rows("SELECT site, COUNT(*) FROM log GROUP BY site")) {
                site_total[r[0]] = std::stoll(r[1]);
            }
        }

        std::map<std::string, std::string> digest_of_site;
        for (const auto& [id, r] : replicas) {
            SCOPED_TRACE("replica " + id);
            const std::string& site = model.site_of.at(id);
            EXPECT_EQ(r->sync_state().outbox, 0u) << "changes left in the outbox";
            const auto status = r->status();
            EXPECT_EQ(status.own_changes, model.own_changes.at(id));
            EXPECT_EQ(static_cast<std::int64_t>(status.all_changes), site_total[site]) << "the site's changes held here";
            EXPECT_EQ(status.waiting_changes, 0u);
            EXPECT_EQ(status.conflicts, 0u);
            const std::string digest = r->state_digest();
            if (!digest_of_site.count(site)) digest_of_site[site] = digest;
            EXPECT_EQ(digest, digest_of_site[site]) << "the replicas of " << site << " did not converge";

            // Every case the test saw committed, once, with its values.
            std::map<std::string, std::vector<kim::client::RecordView>> by_name;
            for (auto& view : r->list("case")) {
                const auto* name = view.field("name");
                by_name[name ? name->shown.value : std::string("(no name)")].push_back(std::move(view));
            }
            const auto& expected_cases = model.cases.at(site);
            EXPECT_EQ(by_name.size(), expected_cases.size()) << "cases shown at " << id;
            for (const auto& [name, fields] : expected_cases) {
                const auto it = by_name.find(name);
                if (it == by_name.end()) {
                    ADD_FAILURE() << "lost: case " << name;
                    continue;
                }
                EXPECT_EQ(it->second.size(), 1u) << "doubled: case " << name;
                for (const auto& [field, value] : fields) {
                    const auto* f = it->second.front().field(field);
                    EXPECT_TRUE(f && f->shown.value == value)
                        << "case " << name << " field " << field << " shows '" << (f ? f->shown.value : "(absent)")
                        << "', not '" << value << "'";
                }
            }
            EXPECT_EQ(integrity_of(home(id) / Replica::database_file, false), "ok");
        }

        const auto audit = kim::test::run_process(
            {KIM_AUDIT_BINARY, "--server", server_.url(), "--key", auditor_key().string(), "verify", "--json"});
        EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
        json report = json::object();
        try {
            report = json::parse(audit.out);
        } catch (const json::exception&) {
            ADD_FAILURE() << "kim-audit printed no JSON report: " << audit.out << audit.err;
        }
        EXPECT_TRUE(report.value("ok", false)) << audit.out;
        EXPECT_EQ(report.value("changes", std::uint64_t{0}), total) << audit.out;
        EXPECT_GE(report.value("checkpoints", std::uint64_t{0}), total / checkpoint_every) << audit.out;
        EXPECT_TRUE(report.contains("failures") && report["failures"].empty()) << audit.out;
        EXPECT_TRUE(report.contains("findings") && report["findings"].empty()) << audit.out;
    }

    kim::test::TempDir dir_{"kimcrash"};
    std::unique_ptr<DiskDir> disk_;  // the replicas' homes when set
    ServerProcess server_;
    int port_ = 0;
};

// --- loop 1: the server killed ----------------------------------------------------

// Where a replica's sync stands: signing in until the push begins (the
// first stop_requested call comes after authentication), pushing until its
// last batch is acknowledged, then pulling (at once when it has nothing to push).
enum class Phase : int { waiting, sign_in, push, pull, done };

TEST_F(crash, server_killed_at_random_moments_loses_doubles_and_corrupts_nothing) {
    const int iterations = crash_iterations();
    const std::uint64_t seed = crash_seed();
    Dice dice(seed);
    SCOPED_TRACE("KIM_CRASH_SEED=" + std::to_string(seed));
    std::cout << "[crash] server loop: seed " << seed << ", " << iterations
              << " iterations (KIM_CRASH_SEED, KIM_CRASH_ITERATIONS)\n";
    const auto started = Clock::now();

    Model model;
    Replica hamborn_a = kim::test::make_replica(home("hamborn-a"), "hamborn", "hamborn-a");
    Replica hamborn_b = kim::test::join_replica(hamborn_a, home("hamborn-b"), "hamborn-b");
    Replica hochfeld_a = kim::test::make_replica(home("hochfeld-a"), "hochfeld", "hochfeld-a");
    const std::vector<Replica*> replicas{&hamborn_a, &hamborn_b, &hochfeld_a};
    std::map<std::string, std::vector<std::string>> own_cases;  // replica -> ids of the cases it opened
    std::map<std::string, std::string> name_of_case;            // case id -> its name in the model
    for (Replica* r : replicas) {
        enrol(r->replica_id());
        model.site_of[r->replica_id()] = r->site();
        model.own_changes[r->replica_id()] = 0;
    }

    struct Worker {
        std::atomic<int> phase{static_cast<int>(Phase::waiting)};
        std::string error;  // anything but "the server cannot be reached"
    };
    KillDelay push_delay(60.0), pull_delay(40.0);
    int during_sign_in = 0, during_push = 0, during_pull = 0, while_idle = 0, answer_lost = 0;
    double restart_total_ms = 0, restart_max_ms = 0;

    // At least `iterations` kills, and more (up to twice as many, aimed at
    // what is missing) until every category was hit a few times.
    const int wanted = wanted_hits(iterations);
    auto lacking = [&] { return during_push < wanted || during_pull < wanted || while_idle < wanted; };
    int iteration = 0;
    for (; iteration < iterations || (lacking() && iteration < 2 * iterations); ++iteration) {
        SCOPED_TRACE("iteration " + std::to_string(iteration));
        // Offline work on every replica: new cases, and edits of its own cases
        // (no two replicas edit one field, so every value is known).
        for (Replica* r : replicas) {
            const std::string& id = r->replica_id();
            const std::string prefix = id + " " + std::to_string(iteration);
            const auto ids = write_cases(*r, model, prefix, dice.between(1, 3));
            if (!own_cases[id].empty()) {
                const auto n = static_cast<int>(own_cases[id].size());
                const std::string& record = own_cases[id][static_cast<std::size_t>(dice.between(0, n - 1))];
                const std::string text = "Stand nach Runde " + std::to_string(iteration);
                const std::string level = std::to_string(dice.between(0, 3));
                r->set_fields(record, {{"assessment", text}, {"need.arbeit", level}});
                Fields& fields = model.cases[r->site()].at(name_of_case.at(record));
                fields["assessment"] = text;
                fields["need.arbeit"] = level;
                model.own_changes[id] += 1;
            }
            for (std::size_t i = 0; i < ids.size(); ++i) name_of_case[ids[i]] = prefix + "-" + std::to_string(i);
            own_cases[id].insert(own_cases[id].end(), ids.begin(), ids.end());
        }

        std::map<std::string, std::int64_t> stored_before;
        for (Replica* r : replicas) stored_before[r->replica_id()] = last_seq_at_server(store(), r->replica_id());

        // Every replica syncs in its own thread; the server dies under them.
        std::vector<std::unique_ptr<Worker>> workers;
        for (std::size_t i = 0; i < replicas.size(); ++i) workers.push_back(std::make_unique<Worker>());
        std::vector<std::thread> threads;
        const std::string url = server_.url();
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            const double stagger = dice.real(0.0, 5.0);
            threads.emplace_back([&, i, stagger] {
                Worker& w = *workers[i];
                sleep_ms(stagger);
                const Phase after_sign_in = replicas[i]->sync_state().outbox > 0 ? Phase::push : Phase::pull;
                w.phase = static_cast<int>(Phase::sign_in);
                SyncOptions options;
                options.server = url;
                options.connect_timeout = std::chrono::seconds(5);
                options.request_timeout = std::chrono::seconds(30);
                options.stop_requested = [&w, after_sign_in] {
                    int signing_in = static_cast<int>(Phase::sign_in);
                    w.phase.compare_exchange_strong(signing_in, static_cast<int>(after_sign_in));
                    return false;
                };
                options.progress = [&w](const SyncProgress& p) {
                    if (p.phase == SyncProgress::Phase::push && p.pushed >= p.to_push) {
                        w.phase = static_cast<int>(Phase::pull);
                    }
                };
                try {
                    kim::client::sync(*replicas[i], options);
                } catch (const kim::client::UnreachableError&) {
                    // What a dead server looks like; the outbox keeps everything.
                } catch (const std::exception& e) {
                    w.error = e.what();
                }
                w.phase = static_cast<int>(Phase::done);
            });
        }
        auto any_in = [&](Phase p) {
            return std::any_of(workers.begin(), workers.end(),
                               [p](const auto& w) { return w->phase == static_cast<int>(p); });
        };
        auto all_done = [&] {
            return std::all_of(workers.begin(), workers.end(),
                               [](const auto& w) { return w->phase == static_cast<int>(Phase::done); });
        };
        auto wait_until = [&](auto&& condition) {
            const auto deadline = Clock::now() + std::chrono::seconds(60);
            while (!condition() && Clock::now() < deadline) sleep_ms(0.2);
        };

        // Aim at a phase (pushes and pulls twice as often as idleness), then
        // kill a random moment into it.
        int aim = dice.between(0, 4);
        if (iteration >= iterations) aim = during_push < wanted ? 0 : during_pull < wanted ? 2 : 4;
        if (aim <= 1) {
            wait_until([&] { return any_in(Phase::push) || all_done(); });
            sleep_ms(push_delay.draw(dice));
        } else if (aim <= 3) {
            wait_until([&] { return any_in(Phase::pull) || all_done(); });
            sleep_ms(pull_delay.draw(dice));
        } else {
            wait_until(all_done);
            sleep_ms(dice.real(0.0, 5.0));
        }
        const bool signing_in = any_in(Phase::sign_in), pushing = any_in(Phase::push), pulling = any_in(Phase::pull);
        server_.kill_hard();
        for (auto& t : threads) t.join();
        during_sign_in += signing_in;
        during_push += pushing;
        during_pull += pulling;
        while_idle += !signing_in && !pushing && !pulling;
        if (aim <= 1) pushing ? push_delay.landed_in_time() : push_delay.landed_late();
        if (aim >= 2 && aim <= 3) pulling ? pull_delay.landed_in_time() : pull_delay.landed_late();
        for (std::size_t i = 0; i < workers.size(); ++i) {
            EXPECT_EQ(workers[i]->error, "")
                << replicas[i]->replica_id() << ": a dead server must look unreachable, nothing else";
        }

        // The store as the kill left it, then the server on it again.
        ASSERT_EQ(integrity_of(store(), true), "ok") << "the server's store after a SIGKILL";
        const double restart_ms = restart_server();
        restart_total_ms += restart_ms;
        restart_max_ms = std::max(restart_max_ms, restart_ms);
        ASSERT_TRUE(kim::client::check_server(server_.url(), {}).reachable);
        for (Replica* r : replicas) {
            // A push stored by the server whose answer died with it: the
            // replica pushes it again, and the server takes it as a duplicate.
            const std::int64_t stored = last_seq_at_server(store(), r->replica_id());
            answer_lost +=
                stored > stored_before[r->replica_id()] && static_cast<std::int64_t>(r->sync_state().pushed_seq) < stored;
            expect_acknowledgements_held(*r, "after kill " + std::to_string(iteration));
        }
        if (HasFatalFailure()) return;
    }

    for (int round = 0; round < 2; ++round) {
        for (Replica* r : replicas) {
            const auto report = sync(*r);
            EXPECT_TRUE(report.complete()) << r->replica_id();
        }
    }
    std::map<std::string, Replica*> by_id;
    for (Replica* r : replicas) by_id[r->replica_id()] = r;
    expect_nothing_lost_or_doubled(model, by_id);

    const double seconds = ms_since(started) / 1000.0;
    std::uint64_t total = 0;
    for (const auto& [id, n] : model.own_changes) total += n;
    std::cout << "[crash] server loop: seed " << seed << ", " << iteration << " kills: " << during_push << " during a push, "
              << during_pull << " during a pull, " << during_sign_in << " during a sign-in, " << while_idle
              << " while idle (" << answer_lost << " stored pushes whose answer was lost); " << total
              << " changes; restart mean " << (restart_total_ms / iteration) << " ms, max " << restart_max_ms << " ms; "
              << seconds << " s\n";
    EXPECT_GE(during_push, wanted) << "too few kills landed during a push: the loop proved little";
    EXPECT_GE(during_pull, wanted) << "too few kills landed during a pull";
    EXPECT_GE(while_idle, wanted) << "too few kills landed while the server was idle";
}

// --- loop 2: the client killed ----------------------------------------------------

TEST_F(crash, client_killed_at_random_moments_loses_doubles_and_corrupts_nothing) {
    const int iterations = crash_iterations();
    const std::uint64_t seed = crash_seed();
    Dice dice(seed);
    SCOPED_TRACE("KIM_CRASH_SEED=" + std::to_string(seed));
    std::cout << "[crash] client loop: seed " << seed << ", " << iterations
              << " iterations (KIM_CRASH_SEED, KIM_CRASH_ITERATIONS)\n";
    const auto started = Clock::now();

    // Two laptops of one site; every kill hits the real `kim` on one of them.
    // The test holds no connection to a replica while `kim` runs on it (see
    // wal_locks): replicas are opened here only between runs.
    const std::string site = "hamborn";
    const std::vector<std::string> laptops{"hamborn-a", "hamborn-b"};
    disk_ = std::make_unique<DiskDir>();
    Model model;
    model.cases[site];
    {
        Replica a = kim::test::make_replica(home(laptops[0]), site, laptops[0]);
        kim::test::join_replica(a, home(laptops[1]), laptops[1]);
    }
    for (const auto& id : laptops) {
        enrol(id);
        model.site_of[id] = site;
        model.own_changes[id] = 0;
    }
    auto open = [&](const std::string& id) { return Replica::open(home(id), kim::test::passphrase); };
    auto env = [&](const std::string& id) {
        return std::map<std::string, std::string>{{"KIM_HOME", home(id).string()},
                                                  {"KIM_PASSPHRASE", kim::test::passphrase}};
    };
    auto database = [&](const std::string& id) { return home(id) / Replica::database_file; };
    auto site_changes_at_server = [&] {
        Sql db(store(), true);
        return db.integer("SELECT COUNT(*) FROM log WHERE site = ?", {site});
    };

    // Cases each laptop opened whose id the test knows: the ones `kim case set` edits.
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> editable;  // replica -> (id, name)
    auto remember = [&](const std::string& id, const std::vector<std::string>& ids, const std::string& prefix) {
        for (std::size_t i = 0; i < ids.size(); ++i) editable[id].emplace_back(ids[i], prefix + "-" + std::to_string(i));
    };

    // The case whose phase both laptops change at once, so that there are
    // conflicts to resolve.
    std::string contested;
    const std::string contested_name = "Konfliktfall-0";
    {
        Replica a = open(laptops[0]);
        contested = write_cases(a, model, "Konfliktfall", 1).front();
        sync(a);
    }
    {
        Replica b = open(laptops[1]);
        sync(b);
    }

    // `kim` run to the end: the work going on after a kill.
    auto run_kim = [&](const std::string& id, const std::vector<std::string>& args) {
        std::vector<std::string> argv{KIM_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = kim::test::run_process(argv, env(id));
        EXPECT_EQ(r.exit_code, 0) << "kim " << args.at(0) << " on " << id << " after a kill: " << r.err << r.out;
        return r.out;
    };

    // Steps `kim` forward in short slices (SIGSTOP, look, SIGCONT) until its
    // write transaction is seen (these commands write one), then kills it a
    // random moment into it, or at the first look after it when it ends
    // sooner: true when the kill came inside the transaction, false after it,
    // nothing when kim ended first.
    auto kill_in_transaction = [&](KimProcess& p, const fs::path& db, KillDelay& delay) -> std::optional<bool> {
        std::optional<Clock::time_point> seen;
        double extra = 0;
        const auto deadline = Clock::now() + std::chrono::seconds(120);
        while (p.stop()) {
            const WalLocks locks = wal_locks(db);
            if (locks.writer && locks.snapshot && !seen) {
                seen = Clock::now();
                extra = delay.draw(dice);
            }
            const bool hung = Clock::now() > deadline;
            const bool over = seen && !locks.writer;
            if ((seen && ms_since(*seen) >= extra) || over || hung) {
                p.kill_hard();
                EXPECT_FALSE(hung) << "kim ran for two minutes without finishing";
                const bool held = seen && locks.writer;
                if (held) {
                    delay.landed_in_time();
                } else {
                    delay.landed_late();
                }
                return held;
            }
            p.resume();
            std::this_thread::sleep_for(std::chrono::microseconds(dice.between(10, 100)));
        }
        if (seen) delay.landed_late();
        return std::nullopt;
    };

    // After every kill: the replica opens, its file is sound, and it believes
    // the server holds nothing that the server does not hold.
    auto reopen_after_kill = [&](const std::string& id, const std::string& what) {
        Replica r = open(id);
        EXPECT_EQ(integrity_of(database(id), false), "ok") << "the replica's file after " << what;
        expect_acknowledgements_held(r, what);
        return r;
    };

    const fs::path output = dir_ / "kim-stdout.txt";
    const fs::path errors = dir_ / "kim-stderr.txt";
    auto said = [&] { return kim::test::read_file(output) + kim::test::read_file(errors); };
    const fs::path import_file = dir_ / "import.jsonl";
    RequestLog requests(server_log());
    KillDelay push_delay(10.0), pull_delay(5.0), import_delay(40.0), set_delay(15.0), resolve_delay(15.0);
    int during_push = 0, during_pull = 0, during_merge = 0, during_edit = 0, at_start = 0, at_end = 0, ran_through = 0;
    // Killed resolutions and edits found wholly there or wholly absent on
    // reopening (both sides of each all-or-nothing check); one killed after
    // its transaction ended must be there (what kim committed stays).
    int found_whole = 0, found_absent = 0;
    auto count_outcome = [&](bool inside, bool committed) {
        EXPECT_TRUE(inside || committed) << "kim was killed after committing, and its change is gone";
        ++(committed ? found_whole : found_absent);
    };
    const std::vector<std::string> phases{"intake", "assessment", "planning", "linking", "monitoring", "evaluation"};

    // At least `iterations` runs of kim, and more (up to three times as many,
    // aimed at what is missing) until every category was hit a few times.
    const int wanted = wanted_hits(iterations);
    auto lacking = [&] {
        return during_push < wanted || during_pull < wanted || during_merge < wanted || during_edit < wanted;
    };
    int iteration = 0;
    for (; iteration < iterations || (lacking() && iteration < 3 * iterations); ++iteration) {
        SCOPED_TRACE("iteration " + std::to_string(iteration));
        const std::string tag = std::to_string(iteration);
        const std::size_t v = static_cast<std::size_t>(dice.between(0, 1));
        const std::string& victim = laptops[v];
        const std::string& sibling = laptops[1 - v];
        const std::string what = "kill " + tag + " of kim on " + victim;
        // 0 sync aimed at the push, 1 at the pull, 2 resolve (twice as often:
        // its transaction is the shortest), 3 import, 4 new or set.
        int action = dice.between(0, 5);
        if (action == 5) action = 2;
        if (iteration >= iterations) {
            std::vector<int> needed;
            for (const auto& [hits, act] :
                 {std::pair{during_push, 0}, {during_pull, 1}, {during_merge, 2}, {during_edit, 3}}) {
                if (hits < wanted) needed.push_back(act);
            }
            action = needed[static_cast<std::size_t>(dice.between(0, static_cast<int>(needed.size()) - 1))];
        }

        if (action <= 1) {
            // Something to push (the victim's new cases) and to pull (the sibling's).
            {
                Replica r = open(victim);
                if (r.sync_state().outbox < 6) {
                    const std::string prefix = victim + " vorab " + tag;
                    remember(victim, write_cases(r, model, prefix, dice.between(3, 6)), prefix);
                }
            }
            {
                Replica r = open(sibling);
                const std::string prefix = sibling + " " + tag;
                remember(sibling, write_cases(r, model, prefix, dice.between(4, 8)), prefix);
                sync(r);
            }
            const std::uint64_t own = model.own_changes[victim];
            requests.settle(server_.url());
            const int tokens_before = requests.tokens, pulls_before = requests.pulls;
            KimProcess p({"sync", "--server", server_.url()}, env(victim), output, errors);
            // The push begins when the server has answered the token; the
            // heart of the pull when it has sent the first page.
            const auto deadline = Clock::now() + std::chrono::seconds(120);
            while (p.running()) {
                requests.poll();
                if (action == 0 ? requests.tokens > tokens_before : requests.pulls > pulls_before) break;
                if (Clock::now() > deadline) {
                    ADD_FAILURE() << "kim sync ran for two minutes without finishing";
                    break;
                }
                sleep_ms(0.2);
            }
            bool signed_in = false;
            if (p.running()) {
                sleep_ms((action == 0 ? push_delay : pull_delay).draw(dice));
                if (p.stop()) {
                    requests.poll();
                    signed_in = requests.tokens > tokens_before;
                    p.kill_hard();
                }
            }
            KillDelay& delay = action == 0 ? push_delay : pull_delay;
            if (!p.killed()) {
                ++ran_through;
                delay.landed_late();
                EXPECT_EQ(p.exit_code(), 0) << said();
                continue;
            }
            Replica r = reopen_after_kill(victim, what + " sync");
            const auto state = r.sync_state();
            if (state.pushed_seq < own) {
                // Not acknowledged: killed before its push or while it was on its way.
                ++(signed_in ? during_push : at_start);
                delay.landed_in_time();
            } else if (static_cast<std::int64_t>(r.status().all_changes) < site_changes_at_server()) {
                ++during_pull;
                action == 0 ? delay.landed_late() : delay.landed_in_time();
            } else {
                ++at_end;
                delay.landed_late();
            }
            continue;
        }

        if (action == 2) {
            // Both laptops change the phase at once; once both hold both
            // values, the victim resolves the conflict.
            std::string x = phases[static_cast<std::size_t>(dice.between(0, 5))];
            std::string y = phases[static_cast<std::size_t>(dice.between(0, 5))];
            if (y == x) y = x == phases[0] ? phases[1] : phases[0];
            const std::string z = phases[static_cast<std::size_t>(dice.between(0, 5))];
            for (const auto& [id, value] : {std::pair{laptops[0], x}, std::pair{laptops[1], y}}) {
                Replica r = open(id);
                r.set_fields(contested, {{"phase", value}});
                model.own_changes[id] += 1;
            }
            for (const auto& id : {laptops[0], laptops[1], laptops[0]}) {
                Replica r = open(id);
                sync(r);
            }
            auto in_conflict = [&](Replica& r) {
                for (const auto& c : r.conflicts()) {
                    if (c.record == contested && c.field == "phase") return true;
                }
                return false;
            };
            {
                Replica r = open(victim);
                ASSERT_TRUE(in_conflict(r)) << "no conflict was made to resolve";
            }
            const std::uint64_t own = model.own_changes[victim];
            KimProcess p({"resolve", contested, "phase", z}, env(victim), output, errors);
            const auto inside = kill_in_transaction(p, database(victim), resolve_delay);
            bool resolved = true;
            if (!inside) {
                ++ran_through;
                EXPECT_EQ(p.exit_code(), 0) << said();
            } else {
                ++(*inside ? during_merge : at_end);
                Replica r = reopen_after_kill(victim, what + " resolve");
                const std::uint64_t written = r.status().own_changes - own;
                const bool conflict = in_conflict(r);
                const std::string shown = kim::test::shown(r, contested, "phase");
                // Wholly there (one change, the conflict gone, the chosen
                // value shown) or wholly absent (no change, the conflict kept).
                ASSERT_TRUE((written == 1 && !conflict && shown == z) || (written == 0 && conflict))
                    << "half a resolution: " << written << " new change(s), conflict " << (conflict ? "kept" : "gone")
                    << ", phase shows " << shown << " (chosen: " << z << ")";
                resolved = written == 1;
                count_outcome(*inside, resolved);
            }
            if (!resolved) run_kim(victim, {"resolve", contested, "phase", z});
            {
                Replica r = open(victim);
                EXPECT_FALSE(in_conflict(r));
                EXPECT_EQ(r.status().own_changes, own + 1) << "the resolution, exactly once";
            }
            model.cases[site][contested_name]["phase"] = z;
            model.own_changes[victim] += 1;
            continue;
        }

        if (action == 3) {
            // Many cases in one transaction: all of them or none.
            const int count = dice.between(4, 10);
            const std::string prefix = victim + " import " + tag;
            std::vector<CaseDraft> drafts;
            {
                std::ofstream file(import_file, std::ios::trunc);
                for (int i = 0; i < count; ++i) {
                    drafts.push_back(draft_case(prefix + "-" + std::to_string(i), i));
                    file << import_line(drafts.back(), i);
                }
            }
            const std::uint64_t own = model.own_changes[victim];
            const std::uint64_t expected = changes_per_case * static_cast<std::uint64_t>(count);
            std::uint64_t cases_before = 0;
            {
                Replica r = open(victim);
                cases_before = r.status().cases;
            }
            KimProcess p({"case", "import", "--json", import_file.string()}, env(victim), output, errors);
            const auto inside = kill_in_transaction(p, database(victim), import_delay);
            std::string printed;
            if (!inside) {
                ++ran_through;
                EXPECT_EQ(p.exit_code(), 0) << said();
                printed = kim::test::read_file(output);
            } else {
                ++(*inside ? during_edit : at_end);
                Replica r = reopen_after_kill(victim, what + " case import");
                const auto status = r.status();
                const std::uint64_t written = status.own_changes - own;
                const std::uint64_t opened = status.cases - cases_before;
                ASSERT_TRUE((written == 0 && opened == 0) ||
                            (written == expected && opened == static_cast<std::uint64_t>(count)))
                    << "half an import: " << written << " of " << expected << " changes, " << opened << " of " << count
                    << " cases";
                count_outcome(*inside, written != 0);
                // Committed before the kill: its ids were never printed, and
                // its cases are checked by name at the end.
                if (written == 0) printed = run_kim(victim, {"case", "import", "--json", import_file.string()});
            }
            if (!printed.empty()) {
                std::vector<std::string> ids;
                try {
                    ids = json::parse(printed).get<std::vector<std::string>>();
                } catch (const json::exception&) {
                    ADD_FAILURE() << "kim case import --json printed: " << printed;
                }
                EXPECT_EQ(ids.size(), static_cast<std::size_t>(count));
                remember(victim, ids, prefix);
            }
            {
                Replica r = open(victim);
                EXPECT_EQ(r.status().own_changes, own + expected) << "the import, exactly once";
            }
            for (const auto& d : drafts) model.cases[site][d.name] = d.fields;
            model.own_changes[victim] += expected;
            continue;
        }

        // action 4: one change, `kim case new` of a case or `kim case set` of
        // three fields of a case this laptop opened.
        const std::uint64_t own = model.own_changes[victim];
        if (editable[victim].empty() || dice.chance(0.4)) {
            const CaseDraft draft = draft_case(victim + " neu " + tag, iteration);
            std::vector<std::string> args{"case", "new"};
            for (const auto& [f, value] : draft.fields) args.push_back(f + "=" + value);
            std::uint64_t cases_before = 0;
            {
                Replica r = open(victim);
                cases_before = r.status().cases;
            }
            KimProcess p(args, env(victim), output, errors);
            const auto inside = kill_in_transaction(p, database(victim), set_delay);
            bool written = true;
            if (!inside) {
                ++ran_through;
                EXPECT_EQ(p.exit_code(), 0) << said();
            } else {
                ++(*inside ? during_edit : at_end);
                Replica r = reopen_after_kill(victim, what + " case new");
                const auto status = r.status();
                const std::uint64_t changes = status.own_changes - own;
                ASSERT_EQ(changes, status.cases - cases_before) << "a change without its case, or a case without its change";
                ASSERT_LE(changes, 1u);
                written = changes == 1;
                count_outcome(*inside, written);
            }
            if (!written) run_kim(victim, args);
            {
                Replica r = open(victim);
                EXPECT_EQ(r.status().own_changes, own + 1) << "the new case, exactly once";
            }
            // Never edited later: it has no consent, and the audit would say so.
            model.cases[site][draft.name] = draft.fields;
            model.own_changes[victim] += 1;
            continue;
        }
        const auto& [record, name] =
            editable[victim][static_cast<std::size_t>(dice.between(0, static_cast<int>(editable[victim].size()) - 1))];
        Fields& fields = model.cases[site].at(name);
        const Fields before = fields;
        Fields after{{"assessment", "Nachtrag " + tag},
                     {"need.arbeit", std::to_string((std::stoi(before.at("need.arbeit")) + dice.between(1, 3)) % 4)},
                     {"household_band", before.at("household_band") == "unknown" ? "3_4" : "unknown"}};
        std::vector<std::string> args{"case", "set", record};
        for (const auto& [f, value] : after) args.push_back(f + "=" + value);
        KimProcess p(args, env(victim), output, errors);
        const auto inside = kill_in_transaction(p, database(victim), set_delay);
        bool written = true;
        if (!inside) {
            ++ran_through;
            EXPECT_EQ(p.exit_code(), 0) << said();
        } else {
            ++(*inside ? during_edit : at_end);
            Replica r = reopen_after_kill(victim, what + " case set");
            const auto view = r.read(record);
            int now_new = 0, still_old = 0;
            for (const auto& [f, value] : after) {
                const std::string shown = kim::test::shown(view, f);
                now_new += shown == value;
                still_old += shown == before.at(f);
            }
            const std::uint64_t changes = r.status().own_changes - own;
            ASSERT_TRUE((now_new == 3 && changes == 1) || (still_old == 3 && changes == 0))
                << "half an edit: " << now_new << " of 3 fields changed, " << changes << " change(s) written";
            written = changes == 1;
            count_outcome(*inside, written);
        }
        if (!written) run_kim(victim, args);
        {
            Replica r = open(victim);
            EXPECT_EQ(r.status().own_changes, own + 1) << "the edit, exactly once";
        }
        for (const auto& [f, value] : after) fields[f] = value;
        model.own_changes[victim] += 1;
    }

    Replica a = open(laptops[0]);
    Replica b = open(laptops[1]);
    for (int round = 0; round < 2; ++round) {
        for (Replica* r : {&a, &b}) EXPECT_TRUE(sync(*r).complete()) << r->replica_id();
    }
    expect_nothing_lost_or_doubled(model, {{laptops[0], &a}, {laptops[1], &b}});

    const double seconds = ms_since(started) / 1000.0;
    std::uint64_t total = 0;
    for (const auto& [id, n] : model.own_changes) total += n;
    const int kills = during_push + during_pull + during_merge + during_edit + at_start + at_end;
    std::cout << "[crash] client loop: seed " << seed << ", " << iteration << " runs of kim, " << kills
              << " killed: " << during_push << " during a push, " << during_pull << " during a pull, " << during_merge
              << " during a merge (resolve), " << during_edit << " during a local edit, " << at_start
              << " before signing in, " << at_end << " after the work was committed; killed resolutions and edits found "
              << found_whole << " whole and " << found_absent << " absent, none half; " << ran_through
              << " ended before their kill; " << total << " changes; " << seconds << " s\n";
    EXPECT_GE(during_push, wanted) << "too few kills landed during a push: the loop proved little";
    EXPECT_GE(during_pull, wanted) << "too few kills landed during a pull";
    EXPECT_GE(during_merge, wanted) << "too few kills landed during a merge";
    EXPECT_GE(during_edit, wanted) << "too few kills landed during a local edit";
}

}  // namespace
