// The command families of `kim`; each registers its subcommands on the app.
#pragma once

#include <CLI/CLI.hpp>

#include "../context.hpp"

namespace kim::cli {

// init, key export, pubkey, status
void add_setup_commands(CLI::App& app, Context& ctx);
// case new/set/show/list, add, record set/show
void add_record_commands(CLI::App& app, Context& ctx);
// conflicts, resolve, erase
void add_merge_commands(CLI::App& app, Context& ctx);
// fields: the catalogue of kinds, fields and allowed values
void add_catalogue_commands(CLI::App& app, Context& ctx);
// export-changes, import-changes
void add_exchange_commands(CLI::App& app, Context& ctx);

// Writes `text` to `file` atomically with owner-only permissions.
void write_private_file(const std::string& file, const std::string& text);
std::string read_text_file(const std::string& file, std::size_t max_bytes);

}  // namespace kim::cli
