// `kim-server`: the central sync server of kimsync and its administration.
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace {

// Exit codes, as those of `kim` (documented in --help).
enum Exit : int { ok = 0, failure = 1, bad_input = 2, not_found = 3, auth = 4, integrity = 5, state = 6 };

int exit_code_of(const kim::Error& e) {
    if (dynamic_cast<const kim::InputError*>(&e)) return bad_input;
    if (dynamic_cast<const kim::NotFoundError*>(&e)) return not_found;
    if (dynamic_cast<const kim::AuthError*>(&e) || dynamic_cast<const kim::PermissionError*>(&e)) return auth;
    if (dynamic_cast<const kim::IntegrityError*>(&e)) return integrity;
    if (dynamic_cast<const kim::StateError*>(&e)) return state;
    return failure;
}

// Where the store lives unless --data says otherwise.
std::filesystem::path default_data_dir() {
    if (const char* env = std::getenv("KIM_SERVER_DATA"); env && *env) return env;
    return "kim-server-data";
}

// "kim-server replica", for messages.
std::string command_path(const CLI::App* app) {
    std::string path = app->get_name();
    for (const CLI::App* p = app->get_parent(); p; p = p->get_parent()) path = p->get_name() + " " + path;
    return path;
}

// A usage error in our own words: CLI11 says "A subcommand is required" both
// for a missing and for an unknown command; name the unknown one instead.
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

void report(const std::string& message) { std::cerr << "kim-server: error: " << message << "\n"; }

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kim-server: the central sync server of kimsync. It stores the sites' signed, encrypted changes and\n"
                 "relays them between the replicas of each site; it never holds a key that opens a case.\n"
                 "Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found, 4 authentication, 5 integrity, 6 state.",
                 "kim-server"};
    kim::server::cli::GlobalOptions global;
    global.data = default_data_dir();
    app.add_option("--data", global.data, "The server's data folder (default: $KIM_SERVER_DATA, else ./kim-server-data)");
    app.set_version_flag("--version", std::string("kim-server (kimsync) ") + KIM_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    kim::server::cli::add_admin_commands(app, global);
    kim::server::cli::add_serve_command(app, global);

    // A core dump would write the server's signing key and token secret to disk.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    try {
        kim::crypto::init();
        app.parse(argc, argv);
        return ok;
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        report(usage_message(app, e));
        return bad_input;
    } catch (const kim::Error& e) {
        report(e.what());
        return exit_code_of(e);
    } catch (const std::filesystem::filesystem_error& e) {
        report("cannot use " + e.path1().string() + ": " + e.code().message() + "; check the path and its permissions");
        return failure;
    } catch (const nlohmann::json::exception& e) {
        report(std::string("a value is not in the expected JSON form: ") + e.what());
        return bad_input;
    } catch (const std::bad_alloc&) {
        report("out of memory");
        return failure;
    } catch (const std::exception& e) {
        // Reported, not swallowed: this is a bug, and the message helps to find it.
        report(std::string("unexpected error (please report it): ") + e.what());
        return failure;
    }
}
