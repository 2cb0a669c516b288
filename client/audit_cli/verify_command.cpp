// kim-audit --server URL --key FILE [--ca-file FILE] verify [--state FILE] [--full] [--json]
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "kim/audit/verify_server.hpp"
#include "kim/cli/cli_support.hpp"
#include "kim/shared/errors.hpp"

namespace kim::audit_cli {

namespace {

struct VerifyArgs {
    std::string state;
    bool full = false;
    bool json = false;
    unsigned threads = 0;
};

void run_verify(const GlobalOptions& g, const VerifyArgs& a) {
    if (g.server.empty()) throw InputError("`kim-audit verify` needs the server: --server URL");
    if (g.key_file.empty()) {
        throw InputError("`kim-audit verify` needs the auditor's key: --key FILE (made with `kim-audit keygen`)");
    }
    const audit::AuditorKey key = audit::read_key_file(g.key_file);
    audit::VerifyOptions o;
    o.server = g.server;
    o.ca_file = g.ca_file;
    if (o.ca_file.empty()) {
        if (const char* env = std::getenv("KIM_CA_FILE"); env && *env) o.ca_file = env;
    }
    if (!a.state.empty()) o.state_file = a.state;
    o.full = a.full;
    o.threads = a.threads;
    // Progress only for a person watching: never into a pipe or a cron mail.
    if (!a.json && ::isatty(STDERR_FILENO)) {
        o.progress = [](const audit::VerifyProgress& p) {
            std::cerr << "\rverified " << p.verified << " entries (the log holds " << p.last_seq << ")" << std::flush;
        };
    }
    // Printed as soon as the log is verified, before the state is saved: a
    // state that cannot be saved is reported after it (exit 1), and the
    // report is not lost.
    o.on_report = [&o, &a](const audit::Report& report) {
        if (o.progress) std::cerr << "\n";
        if (a.json) {
            std::cout << audit::to_json(report).dump(2) << "\n";
        } else {
            std::cout << audit::format_report(report);
        }
        std::cout.flush();
        command_result = report.ok() ? cli::ok : cli::integrity;
    };
    audit::verify_server(key, o);
}

}  // namespace

void add_verify_command(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<VerifyArgs>();
    CLI::App* cmd = app.add_subcommand(
        "verify", "Verify the server's whole log: signatures, chains, checkpoints, purges; consent findings");
    // Also accepted after the command (`kim-audit verify --server URL …`);
    // the options of verify itself (--state, --full, --json, --threads) only after it.
    cmd->add_option("--server", global.server, "The server's URL (https://…, or http:// on this computer)");
    cmd->add_option("--key", global.key_file, "The auditor's key file (kim-audit keygen)");
    cmd->add_option("--ca-file", global.ca_file, "Extra trusted CA certificates, PEM (default: $KIM_CA_FILE)");
    cmd->add_option("--state", args->state,
                    "Remember what was verified in FILE (0600) and go on from there next time; pins the server's key "
                    "and the checkpoints seen");
    cmd->add_flag("--full", args->full,
                  "Verify the whole log again even with --state (still comparing with it); without --state every run "
                  "is a full one");
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->add_option("--threads", args->threads, "Threads that check signatures (default: one per core, at most 4)")
        ->check(CLI::Range(1u, 64u));
    cmd->callback([&global, args] { run_verify(global, *args); });
}

}  // namespace kim::audit_cli
