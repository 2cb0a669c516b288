// The command families of `kim`; each registers its subcommands on the app.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "../context.hpp"
#include "kim/client/sync.hpp"

namespace kim::cli {

// init, key export, pubkey, status
void add_setup_commands(CLI::App& app, Context& ctx);
// case new/set/show/list, add, record set/show
void add_record_commands(CLI::App& app, Context& ctx);
// case import: many cases from a JSON Lines file (registered on `case`)
void add_case_import_command(CLI::App& cases, Context& ctx);
// conflicts, resolve
void add_merge_commands(CLI::App& app, Context& ctx);
// erase, retention run, export (a case for an access request)
void add_privacy_commands(CLI::App& app, Context& ctx);
// fields: the catalogue of kinds, fields and allowed values
void add_catalogue_commands(CLI::App& app, Context& ctx);
// export-changes, import-changes
void add_exchange_commands(CLI::App& app, Context& ctx);
// config (server, ca-file, retention), sync
void add_sync_commands(CLI::App& app, Context& ctx);

// The sync part of `kim status`: outbox, last sync, cursor, and the server
// with whether it answers (GET /healthz, 2 s at most).
struct SyncStatus {
    client::SyncState state;
    std::optional<client::ServerHealth> health;  // none when no server is configured
};
SyncStatus sync_status(client::Replica& replica);
nlohmann::json to_json(const SyncStatus& status);
void print_sync_status(std::ostream& out, const SyncStatus& status);

// Writes `text` to `file` atomically with owner-only permissions.
void write_private_file(const std::string& file, const std::string& text);
std::string read_text_file(const std::string& file, std::size_t max_bytes);

}  // namespace kim::cli
