// `kim`: the case managers' tool for their site's encrypted replica.
#include <sys/prctl.h>
#include <sys/resource.h>

#include <iostream>

#include "commands/commands.hpp"
#include "output.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace {

// Exit codes, documented in `kim --help` and the README.
enum Exit : int { ok = 0, failure = 1, bad_input = 2, not_found = 3, wrong_secret = 4, integrity = 5, state = 6 };

// "kim case", for messages.
std::string command_path(const CLI::App* app) {
    std::string path = app->get_name();
    for (const CLI::App* p = app->get_parent(); p; p = p->get_parent()) path = p->get_name() + " " + path;
    return path;
}

// A usage error in kim's own words: CLI11 says "A subcommand is required" both
// for `kim` alone and for `kim frobnicate`; name the unknown command instead.
std::string usage_message(CLI::App& app, const CLI::ParseError& e) {
    CLI::App* deepest = &app;
    while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
    const std::string path = command_path(deepest);
    std::string message = e.what();
    if (e.get_name() == "RequiredError" && deepest->get_require_subcommand_min() > 0) {
        std::string known;
        for (const CLI::App* sub : deepest->get_subcommands([](CLI::App*) { return true; })) {
            known += (known.empty() ? "" : ", ") + sub->get_name();
        }
        const auto rest = app.remaining(true);
        if (!rest.empty() && !rest.front().starts_with("-")) {
            message = "unknown command '" + rest.front() + "' for `" + path + "`; the commands are: " + known;
        } else {
            message = "`" + path + "` needs a command: " + known;
        }
    }
    return message + " (see `" + path + " --help`)";
}

// One exit code per kind of kim::Error; any other kim::Error is a failure.
int exit_code_of(const kim::Error& e) {
    if (dynamic_cast<const kim::InputError*>(&e)) return bad_input;
    if (dynamic_cast<const kim::NotFoundError*>(&e)) return not_found;
    if (dynamic_cast<const kim::AuthError*>(&e)) return wrong_secret;
    if (dynamic_cast<const kim::IntegrityError*>(&e)) return integrity;
    if (dynamic_cast<const kim::StateError*>(&e)) return state;
    return failure;
}

// After a wrong passphrase: where it came from (the environment or the prompt).
std::string passphrase_hint(const kim::Error& e) {
    const std::string& source = kim::cli::last_passphrase_source();
    if (!dynamic_cast<const kim::AuthError*>(&e) || source.empty()) return "";
    return " (" + source + ")";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kim: offline case records of a KIM Regional Support Center, encrypted and signed.\n"
                 "Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found, 4 wrong passphrase, 5 integrity, 6 state.",
                 "kim"};
    kim::cli::Context ctx;
    app.add_option("--home", ctx.home_option, "Replica folder (default: $KIM_HOME, else ~/.kim)");
    app.set_version_flag("--version", std::string("kim (kimsync) ") + KIM_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    kim::cli::add_setup_commands(app, ctx);
    kim::cli::add_record_commands(app, ctx);
    kim::cli::add_merge_commands(app, ctx);
    kim::cli::add_exchange_commands(app, ctx);
    kim::cli::add_sync_commands(app, ctx);
    kim::cli::add_catalogue_commands(app, ctx);

    // A core dump would write decrypted case data and keys to disk.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
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
