// `kim-server`: the central sync server of kimsync and its administration.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kim/cli/cli_support.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace {

using namespace kim::cli;  // exit codes

// Where the store lives unless --data says otherwise.
std::filesystem::path default_data_dir() {
    if (const char* env = std::getenv("KIM_SERVER_DATA"); env && *env) return env;
    return "kim-server-data";
}

void report(const std::string& message) { std::cerr << "kim-server: " << message << "\n"; }

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kim-server: the central sync server of kimsync. It stores the sites' signed, encrypted changes and\n"
                 "relays them between the replicas of each site; it never holds a key that opens a case.\n"
                 "Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found, 4 authentication, 5 integrity, 6 state.",
                 "kim-server"};
    kim::server::cli::GlobalOptions global;
    global.data = default_data_dir();
    auto* data = app.add_option("--data", global.data,
                                "The folder of the embedded SQLite store (default: $KIM_SERVER_DATA, else ./kim-server-data)");
    app.add_option("--store", global.store,
                   "Where the store is: postgresql://USER@HOST:PORT/DATABASE for a PostgreSQL database that several "
                   "servers may share (put the password in ~/.pgpass or $PGPASSWORD, not here), or a folder for "
                   "SQLite (default: $KIM_SERVER_STORE, else --data)")
        ->envname("KIM_SERVER_STORE")
        ->excludes(data);
    kim::cli::add_config_option(app, "KIM_SERVER_CONFIG");
    app.set_version_flag("--version", std::string("kim-server (kimsync) ") + KIM_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    kim::server::cli::add_admin_commands(app, global);
    kim::server::cli::add_serve_command(app, global);

    // A core dump would write the server's signing key and token secret to disk.
    kim::cli::disable_core_dumps();
    try {
        kim::crypto::init();
        app.parse(argc, argv);
        return ok;
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        report(kim::cli::usage_message(app, e));
        return bad_input;
    } catch (const kim::Error& e) {
        report(e.what());
        return kim::cli::exit_code_of(e);
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
