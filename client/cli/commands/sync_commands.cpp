// kim config (server, ca-file, retention), kim sync [--watch], and the sync
// part of kim status.
#include <signal.h>

#include <csignal>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../output.hpp"
#include "commands.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/time_format.hpp"

namespace kim::cli {

using nlohmann::json;

namespace {

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// --ca-file, else KIM_CA_FILE, else what `kim config ca-file` stored.
std::optional<std::string> ca_file_override(const std::string& option) {
    if (!option.empty()) return option;
    if (const char* env = std::getenv("KIM_CA_FILE"); env && *env) return std::string(env);
    return std::nullopt;
}

// Advice after the server refused changes, by the worst reason among them.
std::string refusal_advice(const std::vector<client::RefusedChange>& refused) {
    std::set<protocol::Refusal> reasons;
    for (const auto& r : refused) {
        if (r.reason) reasons.insert(*r.reason);
    }
    using R = protocol::Refusal;
    if (reasons.count(R::gap) || reasons.count(R::broken_chain)) {
        return "If the server was restored from a backup, `kim sync --from-start` pushes every change again; "
               "otherwise this folder may be a copy of another device's replica: tell the server's administrator";
    }
    if (reasons.count(R::missing_ciphertext)) {
        return "A change of a record erased here before it was ever pushed has no ciphertexts left to send (erasure "
               "destroyed them); the server takes it in the same push as the erasure, and here more than one push "
               "lies between them (docs/decisions.md 38, a known limit). Tell the server's administrator";
    }
    if (reasons.count(R::clock_skew)) {
        return "This computer's clock was ahead when the change was written; the server takes it once its own clock has "
               "caught up: correct the clock and run `kim sync` again later";
    }
    if (reasons.count(R::wrong_site) || reasons.count(R::wrong_origin)) {
        return "The server enrolled this replica for another site or id: ask its administrator to check the enrolment";
    }
    return "Tell the server's administrator";
}

// Throws the error whose exit code fits the refusals (5 when a change looks
// altered, forged or forked; 2 otherwise), after the account was printed.
[[noreturn]] void throw_refusal(const client::SyncReport& report) {
    bool integrity = false;
    for (const auto& r : report.refused) integrity |= r.reason && client::is_integrity_refusal(*r.reason);
    const std::string message = "the server refused " + plural(report.refused.size(), "change", "changes") +
                                " of this replica (listed above), so pushing stopped; nothing was deleted here and " +
                                plural(report.outbox_left, "change stays", "changes stay") + " in the outbox. " +
                                refusal_advice(report.refused);
    if (integrity) throw IntegrityError(message);
    throw InputError(message);
}

void print_refusals(std::ostream& err, const client::SyncReport& report) {
    for (const auto& r : report.refused) {
        err << "kim: the server refused " << (r.id.empty() ? std::string("the push") : "change " + printable(r.id));
        if (r.reason) err << " (" << protocol::to_string(*r.reason) << ")";
        err << ": " << printable(r.message) << "\n";
    }
}

void print_account(std::ostream& out, const client::SyncReport& r) {
    const auto& a = r.applied;
    out << "Synced with " << r.server << ": pushed " << r.pushed;
    if (r.push_duplicates) out << " (" << r.push_duplicates << " already there)";
    out << ", pulled " << r.pulled << " (" << a.applied << " applied, " << a.duplicates << " already here";
    if (a.waiting) out << ", " << a.waiting << " waiting for earlier changes";
    if (a.introduced) out << ", " << plural(a.introduced, "replica", "replicas") << " introduced";
    if (a.unvouched) out << ", " << a.unvouched << " skipped: not vouched for by this site's key";
    out << ")";
    if (r.outbox_left) out << "; " << plural(r.outbox_left, "change", "changes") << " still to push";
    out << "\n";
    for (const auto& n : a.notes) out << "  note: " << printable(n) << "\n";
    if (r.conflicts) out << plural(r.conflicts, "conflict", "conflicts") << " to resolve: see `kim conflicts`\n";
}

// Warnings are printed even with --quiet: someone has to act on them.
void print_warnings(std::ostream& err, const client::SyncReport& r) {
    for (const auto& w : r.applied.warnings) err << "kim: warning: " << printable(w) << "\n";
}

// Progress on stderr, only for syncs longer than one batch or page.
void print_progress(const client::SyncProgress& p) {
    if (p.phase == client::SyncProgress::Phase::push) {
        if (p.batches > 1 || p.pushed < p.to_push) std::cerr << "kim: pushed " << p.pushed << " of " << p.to_push << " changes\n";
    } else if (p.more || p.pages > 1) {
        std::cerr << "kim: pulled " << p.pulled << " changes (" << plural(p.pages, "page", "pages") << ")"
                  << (p.more ? ", more to come" : "") << "\n";
    }
}

// SIGINT/SIGTERM end --watch after the current step; the handler resets
// itself, so a second signal ends kim at once (safe: every step is a
// transaction).
volatile std::sig_atomic_t stop_signal = 0;
void on_stop_signal(int) { stop_signal = 1; }

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

struct SyncArgs {
    std::string server;
    std::string ca_file;
    bool watch = false;
    unsigned interval = 30;
    bool quiet = false;
    bool from_start = false;
};

void run_watch(client::Replica& replica, client::SyncOptions options, const SyncArgs& args) {
    install_stop_handlers();
    options.stop_requested = [] { return stop_signal != 0; };
    std::string last_refusals;
    std::vector<std::string> last_warnings;
    bool reset_done = false;
    options.after_reset = [&reset_done] { reset_done = true; };
    if (!args.quiet) std::cout << "Syncing every " << args.interval << " s; stop with Ctrl-C\n" << std::flush;
    while (!stop_signal) {
        try {
            const auto report = client::sync(replica, options);
            if (!report.refused.empty()) {
                std::string text;
                for (const auto& r : report.refused) text += r.id + (r.reason ? std::string(protocol::to_string(*r.reason)) : "") + "\n";
                if (text != last_refusals) {
                    print_refusals(std::cerr, report);
                    std::cerr << "kim: " << refusal_advice(report.refused) << "\n";
                }
                last_refusals = text;
            } else {
                last_refusals.clear();
            }
            // The same warnings every round (the server relays them in every
            // page) are printed once.
            if (report.applied.warnings != last_warnings) print_warnings(std::cerr, report);
            last_warnings = report.applied.warnings;
            if (!args.quiet && (report.pushed || report.push_duplicates || report.pulled || !report.refused.empty())) {
                std::cout << local_clock(std::time(nullptr)) << " ";
                print_account(std::cout, report);
                std::cout << std::flush;
            }
        } catch (const client::UnreachableError& e) {
            // Offline is normal for an RSC laptop: one line, and try again later.
            std::cerr << "kim: " << local_clock(std::time(nullptr)) << " cannot reach the server at " << e.server() << ": "
                      << printable(e.reason()) << "; trying again in " << args.interval << " s\n";
        } catch (const Error& e) {
            std::cerr << "kim: " << local_clock(std::time(nullptr)) << " " << printable(e.what()) << "\n";
        }
        // Once, not every round; but a round that failed before the reset
        // (offline at start) leaves it for the next one.
        if (reset_done) options.from_start = false;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(args.interval);
        while (!stop_signal && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!args.quiet) std::cout << "Stopped syncing.\n";
}

}  // namespace

SyncStatus sync_status(client::Replica& replica) {
    SyncStatus status;
    status.state = replica.sync_state();
    if (status.state.server.empty()) return status;
    client::ConnectionOptions c;
    c.ca_file = ca_file_override("").value_or(status.state.ca_file);
    c.connect_timeout = std::chrono::seconds(2);  // status must stay quick when offline
    c.request_timeout = std::chrono::seconds(2);
    status.health = client::check_server(status.state.server, c);
    return status;
}

json to_json(const SyncStatus& status) {
    const auto& s = status.state;
    json j = {{"outbox", s.outbox},
              {"pull_cursor", s.pull_cursor},
              {"pushed_seq", s.pushed_seq},
              {"last_sync", s.last_success > 0 ? json(utc_iso(s.last_success)) : json(nullptr)},
              {"server", s.server.empty() ? json(nullptr) : json(s.server)},
              {"ca_file", s.ca_file.empty() ? json(nullptr) : json(s.ca_file)},
              {"reachable", status.health ? json(status.health->reachable) : json(nullptr)},
              {"server_status", status.health ? status.health->detail : "not configured"}};
    return j;
}

void print_sync_status(std::ostream& out, const SyncStatus& status) {
    const auto& s = status.state;
    out << "  outbox            " << s.outbox << (s.outbox ? " (not pushed yet: `kim sync`)" : "") << "\n"
        << "  last sync         " << (s.last_success > 0 ? local_minutes(s.last_success) : "never") << "\n"
        << "  pull cursor       " << s.pull_cursor << "\n"
        << "  server            ";
    if (!status.health) {
        out << "not configured (`kim config server URL`)\n";
        return;
    }
    out << s.server << "  ("
        << (status.health->reachable ? std::string("reachable") : "not reachable: " + printable(status.health->detail)) << ")\n";
}

void add_sync_commands(CLI::App& app, Context& ctx) {
    // --- kim config ----------------------------------------------------------
    auto* config = app.add_subcommand("config", "Show or change this replica's settings (sync server, CA file, retention period)");
    config->callback([&ctx, config] {
        if (!config->get_subcommands().empty()) return;  // `kim config server URL` did the work
        auto replica = ctx.open_replica();
        const auto s = replica.sync_state();
        const int years = replica.retention_years();
        if (ctx.json) {
            std::cout << json{{"server", s.server.empty() ? json(nullptr) : json(s.server)},
                              {"ca_file", s.ca_file.empty() ? json(nullptr) : json(s.ca_file)},
                              {"retention_years", years}}
                             .dump(2)
                      << "\n";
            return;
        }
        std::cout << "server     " << (s.server.empty() ? "(not set: `kim config server URL`)" : s.server) << "\n"
                  << "ca-file    " << (s.ca_file.empty() ? "(the system's CA certificates)" : s.ca_file) << "\n"
                  << "retention  " << years << (years == 1 ? " year" : " years")
                  << " after closure (`kim retention run` erases closed cases older than that)\n";
    });
    config->add_flag("--json", ctx.json, "Print JSON");

    auto url = std::make_shared<std::string>();
    auto* server = config->add_subcommand("server", "Set the sync server, e.g. https://kim.example.org (http only on this computer)");
    server->add_option("url", *url, "The server's URL")->required();
    server->callback([&ctx, url] {
        client::parse_server_url(*url);  // a bad URL is refused before the passphrase is asked for
        auto replica = ctx.open_replica();
        replica.set_server(*url);
        std::cout << "Sync server of " << replica.replica_id() << ": " << replica.sync_state().server << "\n";
    });

    auto ca = std::make_shared<std::string>();
    auto* ca_file = config->add_subcommand("ca-file", "Trust the CA certificate in FILE (PEM) for the server; \"\" for the system's only");
    ca_file->add_option("file", *ca, "PEM file of the CA that signed the server's certificate")->required();
    ca_file->callback([&ctx, ca] {
        auto replica = ctx.open_replica();
        replica.set_ca_file(*ca);
        const auto s = replica.sync_state();
        std::cout << "CA file for the sync server: " << (s.ca_file.empty() ? "(the system's CA certificates)" : s.ca_file) << "\n";
    });

    auto years = std::make_shared<std::optional<int>>();
    auto* retention = config->add_subcommand(
        "retention",
        "Show or set the retention period: closed cases are erased YEARS years after closure by `kim retention run` "
        "(default " + std::to_string(client::Replica::default_retention_years) +
            "). A site's rule: set the same value on every replica of the site");
    retention->add_option("years", *years, "Whole years after closure, 0 to " + std::to_string(client::Replica::max_retention_years) +
                                               "; without it, the period in force is shown")
        ->check(CLI::Range(0, client::Replica::max_retention_years));
    retention->callback([&ctx, years] {
        auto replica = ctx.open_replica();
        if (!years->has_value()) {
            const int current = replica.retention_years();
            std::cout << "Retention period of " << replica.replica_id() << ": closed cases are erased " << current
                      << (current == 1 ? " year" : " years") << " after closure by `kim retention run`.\n";
            return;
        }
        const int set = **years;
        replica.set_retention_years(set);
        std::cout << "Retention period of " << replica.replica_id() << ": closed cases are erased " << set
                  << (set == 1 ? " year" : " years") << " after closure by `kim retention run`. "
                  << "Set the same period on every replica of site " << replica.site() << ".\n";
    });

    // --- kim sync ------------------------------------------------------------
    auto args = std::make_shared<SyncArgs>();
    auto* sync = app.add_subcommand("sync", "Push this replica's new changes to the server, then pull the site's changes");
    sync->add_option("--server", args->server, "Server URL for this sync (default: `kim config server`)");
    sync->add_option("--ca-file", args->ca_file, "Trust this CA certificate (PEM) (default: $KIM_CA_FILE, else `kim config ca-file`)");
    sync->add_flag("--watch", args->watch, "Keep syncing at an interval until Ctrl-C (carries on while offline)");
    sync->add_option("--interval", args->interval, "Seconds between syncs with --watch")->check(CLI::Range(1u, 86400u))->capture_default_str();
    sync->add_flag("--quiet", args->quiet, "Print nothing but errors");
    sync->add_flag("--from-start", args->from_start,
                   "Push and pull everything again (after the server was restored from a backup)");
    sync->callback([&ctx, args] {
        if (!args->server.empty()) client::parse_server_url(args->server);  // before the passphrase prompt
        auto replica = ctx.open_replica();
        client::SyncOptions options;
        options.server = args->server;
        options.ca_file = ca_file_override(args->ca_file);
        options.from_start = args->from_start;
        if (!args->quiet) options.progress = print_progress;
        if (args->watch) {
            run_watch(replica, options, *args);
            return;
        }
        const auto report = client::sync(replica, options);
        print_refusals(std::cerr, report);
        if (!args->quiet || !report.refused.empty()) print_account(std::cout, report);
        print_warnings(std::cerr, report);
        if (!report.refused.empty()) throw_refusal(report);
    });
}

}  // namespace kim::cli
