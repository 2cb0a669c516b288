#include "kim/cli/cli_support.hpp"

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

}  // namespace kim::cli
