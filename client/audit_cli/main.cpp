// `kim-audit`: the auditor's tool. It verifies the server's whole log —
// signatures, chains, checkpoints, purges — without holding any key that
// opens a case.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kim/cli/cli_support.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace {

using namespace kim::cli;  // exit codes, usage_message, exit_code_of

// Error messages may carry names from the server's answers: no control
// character of theirs reaches the terminal.
std::string printable(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        const auto u = static_cast<unsigned char>(ch);
        out += (u < 0x20 || u == 0x7f) ? '?' : ch;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kim-audit: verify that the kimsync server's log is complete and unaltered, without reading any case.\n"
                 "Exit codes: 0 ok (findings allowed), 1 failure, 2 bad input, 3 not found, 4 key file not private,\n"
                 "5 integrity failure, 6 state (e.g. the server does not accept this auditor).",
                 "kim-audit"};
    kim::audit_cli::GlobalOptions global;
    app.add_option("--server", global.server, "The server's URL (https://…, or http:// on this computer)");
    app.add_option("--key", global.key_file, "The auditor's key file (kim-audit keygen)");
    app.add_option("--ca-file", global.ca_file, "Extra trusted CA certificates, PEM (default: $KIM_CA_FILE)");
    kim::cli::add_config_option(app, "KIM_AUDIT_CONFIG");
    app.set_version_flag("--version", std::string("kim-audit (kimsync) ") + KIM_VERSION);
    app.require_subcommand(1);
    kim::audit_cli::add_keygen_command(app);
    kim::audit_cli::add_verify_command(app, global);

    // Nothing here is secret but the key, and a core dump would write it to disk.
    disable_core_dumps();
    try {
        kim::crypto::init();
        app.parse(argc, argv);
        return kim::audit_cli::command_result;
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::cerr << "kim-audit: " << usage_message(app, e) << "\n";
        return bad_input;
    } catch (const kim::Error& e) {
        std::cerr << "kim-audit: " << printable(e.what()) << "\n";
        return exit_code_of(e);
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << "kim-audit: cannot use " << e.path1().string() << ": " << e.code().message()
                  << "; check the path and its permissions\n";
        return failure;
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "kim-audit: a file or answer is not in the expected JSON form: " << e.what() << "\n";
        return bad_input;
    } catch (const std::bad_alloc&) {
        std::cerr << "kim-audit: out of memory\n";
        return failure;
    } catch (const std::exception& e) {
        // Reported, not swallowed: this is a bug, and the message helps to find it.
        std::cerr << "kim-audit: unexpected error (please report it): " << e.what() << "\n";
        return failure;
    }
}
