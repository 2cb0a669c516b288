// What the command lines of kimsync (`kim`, `kim-server`) share: exit codes
// per kind of error, usage errors in our own words, no core dumps.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "kim/shared/errors.hpp"

namespace kim::cli {

// Documented in each program's --help and in the README.
enum ExitCode : int { ok = 0, failure = 1, bad_input = 2, not_found = 3, auth = 4, integrity = 5, state = 6 };

// One exit code per kind of kim::Error; any other kim::Error is a failure.
int exit_code_of(const Error& e);

// "kim case", for messages.
std::string command_path(const CLI::App* app);

// A usage error in our own words: CLI11 says "A subcommand is required" both
// for a missing and for an unknown command; name the unknown one instead,
// and point at the command's --help.
std::string usage_message(CLI::App& app, const CLI::ParseError& e);

// A core dump would write decrypted case data or keys to disk.
void disable_core_dumps();

// --config FILE (default: $`env`, none when unset): every option may come
// from that file, in CLI11's INI form: the program's own options first as
// `name = value`, then a [command] or [command.sub] section per command.
// The command line wins; a name the program does not know is an error.
void add_config_option(CLI::App& app, const std::string& env);

}  // namespace kim::cli
