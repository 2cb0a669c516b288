// The commands of `kim-audit`, each adding itself to the app.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace kim::audit_cli {

// Options that may come before or after the command.
struct GlobalOptions {
    std::string server;
    std::string key_file;
    std::string ca_file;
};

// The exit code of the command that ran (integrity failures are not errors).
inline int command_result = 0;

void add_keygen_command(CLI::App& app);
void add_verify_command(CLI::App& app, GlobalOptions& global);

}  // namespace kim::audit_cli
