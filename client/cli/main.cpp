// `kim`: the case managers' tool for their site's encrypted replica.
#include <iostream>

#include "commands/commands.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"

namespace {

// Exit codes, documented in `kim --help` and the README.
enum Exit : int { ok = 0, failure = 1, bad_input = 2, not_found = 3, wrong_secret = 4, integrity = 5, state = 6 };

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kim: offline case records of a KIM Regional Support Center, encrypted and signed.\n"
                 "Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found, 4 wrong passphrase, 5 integrity, 6 state.",
                 "kim"};
    kim::cli::Context ctx;
    app.add_option("--home", ctx.home_option, "Replica folder (default: $KIM_HOME, else ~/.kim)");
    app.require_subcommand(1);
    app.fallthrough();
    kim::cli::add_setup_commands(app, ctx);
    kim::cli::add_record_commands(app, ctx);
    kim::cli::add_merge_commands(app, ctx);
    kim::cli::add_exchange_commands(app, ctx);

    try {
        kim::crypto::init();
        app.parse(argc, argv);
        return ok;
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? ok : bad_input;
    } catch (const kim::InputError& e) {
        std::cerr << "kim: " << e.what() << "\n";
        return bad_input;
    } catch (const kim::NotFoundError& e) {
        std::cerr << "kim: " << e.what() << "\n";
        return not_found;
    } catch (const kim::AuthError& e) {
        std::cerr << "kim: " << e.what() << "\n";
        return wrong_secret;
    } catch (const kim::IntegrityError& e) {
        std::cerr << "kim: " << e.what() << "\n";
        return integrity;
    } catch (const kim::StateError& e) {
        std::cerr << "kim: " << e.what() << "\n";
        return state;
    } catch (const kim::Error& e) {
        std::cerr << "kim: " << e.what() << "\n";
        return failure;
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << "kim: file system error: " << e.what() << "\n";
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
