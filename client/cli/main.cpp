// `kim`: the case managers' tool for their site's encrypted replica.
#include <malloc.h>

#include <iostream>

#include "commands/commands.hpp"
#include "output.hpp"
#include "kim/cli/cli_support.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace {

using namespace kim::cli;  // exit codes, usage_message, exit_code_of

// After a wrong passphrase: where it came from (the environment or the prompt).
std::string passphrase_hint(const kim::Error& e) {
    const std::string& source = kim::cli::last_passphrase_source();
    if (!dynamic_cast<const kim::AuthError*>(&e) || source.empty()) return "";
    return " (" + source + ")";
}

}  // namespace

int main(int argc, char** argv) {
    // glibc gives each thread that allocates an arena of its own, and what
    // is freed stays in its arena. `kim sync` starts a thread per page and
    // per batch (decisions 116): with an arena each, its peak grew with the
    // number of pages (34 MiB at 10,000 changes, 48 at 100,000). One arena
    // for all keeps it flat, for up to a tenth of the pull's rate
    // (docs/performance.md).
    mallopt(M_ARENA_MAX, 1);
    CLI::App app{"kim: offline case records of a KIM Regional Support Center, encrypted and signed.\n"
                 "Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found, 4 wrong passphrase, 5 integrity, 6 state.",
                 "kim"};
    kim::cli::Context ctx;
    app.add_option("--home", ctx.home_option, "Replica folder (default: $KIM_HOME, else ~/.kim)");
    kim::cli::add_config_option(app, "KIM_CONFIG");
    app.set_version_flag("--version", std::string("kim (kimsync) ") + KIM_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    kim::cli::add_setup_commands(app, ctx);
    kim::cli::add_record_commands(app, ctx);
    kim::cli::add_merge_commands(app, ctx);
    kim::cli::add_privacy_commands(app, ctx);
    kim::cli::add_exchange_commands(app, ctx);
    kim::cli::add_sync_commands(app, ctx);
    kim::cli::add_catalogue_commands(app, ctx);

    // A core dump would write decrypted case data and keys to disk.
    disable_core_dumps();
    try {
        kim::crypto::init();
        app.parse(argc, argv);
        return ok;
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::cerr << "kim: " << usage_message(app, e) << "\n";
        return bad_input;
    } catch (const kim::Error& e) {
        std::cerr << "kim: " << kim::cli::printable(e.what()) << passphrase_hint(e) << "\n";
        return exit_code_of(e);
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << "kim: cannot use " << e.path1().string() << ": " << e.code().message()
                  << "; check the path and its permissions\n";
        return failure;
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "kim: a file or value is not in the expected JSON form: " << e.what() << "\n";
        return bad_input;
    } catch (const std::bad_alloc&) {
        std::cerr << "kim: out of memory\n";
        return failure;
    } catch (const std::exception& e) {
        // Reported, not swallowed: this is a bug in kim, and the message helps to find it.
        std::cerr << "kim: unexpected error (please report it): " << e.what() << "\n";
        return failure;
    }
}
