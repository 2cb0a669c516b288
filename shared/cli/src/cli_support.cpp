#include "kim/cli/cli_support.hpp"

#include <cstdlib>

#include <sys/prctl.h>
#include <sys/resource.h>

namespace kim::cli {

int exit_code_of(const Error& e) {
    if (dynamic_cast<const InputError*>(&e)) return bad_input;
    if (dynamic_cast<const NotFoundError*>(&e)) return not_found;
    if (dynamic_cast<const AuthError*>(&e) || dynamic_cast<const PermissionError*>(&e)) return auth;
    if (dynamic_cast<const IntegrityError*>(&e)) return integrity;
    if (dynamic_cast<const StateError*>(&e)) return state;
    return failure;
}

std::string command_path(const CLI::App* app) {
    std::string path = app->get_name();
    for (const CLI::App* p = app->get_parent(); p; p = p->get_parent()) path = p->get_name() + " " + path;
    return path;
}

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

void disable_core_dumps() {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
}

void add_config_option(CLI::App& app, const std::string& env) {
    // CLI11 reads the file before it looks at the environment, so the
    // variable is taken here; a file it names must exist.
    const char* from_env = std::getenv(env.c_str());
    const bool named = from_env && *from_env;
    app.set_config("--config", named ? from_env : "",
                   "Read options from this file (default: $" + env +
                       ", none if unset): `name = value` lines, the program's own options first, then a [command] or "
                       "[command.sub] section per command (e.g. [serve], [replica.add]); the command line wins. A bad "
                       "value anywhere in the file is refused, whichever command runs",
                   named);
    // A misspelt name in the file is an error, not a setting silently dropped.
    app.allow_config_extras(CLI::config_extras_mode::error);
}

}  // namespace kim::cli
