// The subcommands of `kim-server`, each family in its own file.
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

namespace kim::server::cli {

// Options every subcommand shares, filled by CLI11 before any subcommand
// callback runs.
struct GlobalOptions {
    std::filesystem::path data;  // the SQLite store's folder
    std::string store;           // --store: a postgresql:// URI or a folder; wins over `data`

    // Where the store is (store/open_store.hpp).
    std::string location() const { return store.empty() ? data.string() : store; }
};

// init, replica add|list|revoke, user add (admin_commands.cpp).
void add_admin_commands(CLI::App& app, GlobalOptions& global);
// serve (serve_command.cpp).
void add_serve_command(CLI::App& app, GlobalOptions& global);

}  // namespace kim::server::cli
