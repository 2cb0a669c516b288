// kim init, kim key export, kim pubkey, kim status (its sync part: sync_commands.cpp).
#include <filesystem>
#include <iostream>

#include "../output.hpp"
#include "commands.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::cli {

void add_setup_commands(CLI::App& app, Context& ctx) {
    struct InitArgs {
        std::string site, replica, join;
    };
    auto init_args = std::make_shared<InitArgs>();
    auto* init = app.add_subcommand("init", "Create this device's replica of a site (or join a site with --join)");
    init->add_option("--site", init_args->site, "Site (Regional Support Center), e.g. hamborn")->required();
    init->add_option("--replica", init_args->replica, "Id of this device, e.g. hamborn-a")->required();
    init->add_option("--join", init_args->join, "Key bundle from `kim key export` on another replica of the site");
    init->callback([&ctx, init_args] {
        client::CreateOptions o;
        o.home = ctx.home();
        // Refused before any passphrase is asked for.
        if (std::filesystem::exists(o.home / client::Replica::database_file)) {
            throw StateError("there is already a replica in " + o.home.string() + "; choose another folder with --home");
        }
        o.site = init_args->site;
        o.replica = init_args->replica;
        if (!init_args->join.empty()) {
            o.join_bundle = parse_untrusted_json(read_text_file(init_args->join, 1 << 20), "the key bundle " + init_args->join);
        }
        o.passphrase = obtain_passphrase("KIM_PASSPHRASE", "New passphrase for this replica", true);
        // Asked last: a new replica's passphrase cannot be wrong, so a wrong
        // passphrase here is the bundle's, and the hint must name its source.
        if (o.join_bundle) {
            o.bundle_passphrase = obtain_passphrase("KIM_BUNDLE_PASSPHRASE", "Passphrase of the key bundle", false);
        }
        client::Replica::create(o);
        const auto info = client::Replica::info(o.home);
        std::cout << "Created replica " << info.replica << " of site " << info.site << " in " << o.home.string() << "\n"
                  << "Public key (enrol it on the server): " << info.public_key << "\n";
        if (o.join_bundle) std::cout << "Joined the site: `kim sync` (once the server enrols this replica) or a change file from another replica brings its cases.\n";
    });

    auto key_out = std::make_shared<std::string>();
    auto* key = app.add_subcommand("key", "Manage the site key");
    key->require_subcommand(1);
    auto* key_export = key->add_subcommand("export", "Write the site key, sealed under a new passphrase, for a second replica");
    key_export->add_option("--out", *key_out, "File to write")->required();
    key_export->callback([&ctx, key_out] {
        if (std::filesystem::exists(*key_out)) {
            throw StateError(*key_out + " exists already; choose another file name or delete the old bundle first");
        }
        auto replica = ctx.open_replica();
        const std::string pass = obtain_passphrase("KIM_BUNDLE_PASSPHRASE", "New passphrase for the key bundle", true);
        write_private_file(*key_out, replica.export_site_key(pass).dump(2) + "\n");
        std::cout << "Wrote the site key of " << replica.site() << " to " << *key_out
                  << ". Give it (and its passphrase, separately) only to a new replica of this site; delete it afterwards.\n";
    });

    auto* pubkey = app.add_subcommand("pubkey", "Print this replica's public signing key (to enrol it on the server)");
    pubkey->add_flag("--json", ctx.json, "Print JSON with the replica and site");
    pubkey->callback([&ctx] {
        const auto info = client::Replica::info(ctx.home());
        if (ctx.json) {
            std::cout << nlohmann::json{{"replica", info.replica}, {"site", info.site}, {"public_key", info.public_key}}.dump(2) << "\n";
        } else {
            std::cout << info.public_key << "\n";
        }
    });

    auto* status = app.add_subcommand("status", "Show this replica's site, changes, conflicts, known replicas and sync state");
    status->add_flag("--json", ctx.json, "Print JSON");
    status->callback([&ctx] {
        auto replica = ctx.open_replica();
        const auto s = replica.status();
        const auto sync = sync_status(replica);
        if (ctx.json) {
            auto j = to_json(s);
            j["sync"] = to_json(sync);
            std::cout << j.dump(2) << "\n";
            return;
        }
        std::cout << "Replica " << s.replica << " of site " << s.site << "\n"
                  << "  cases             " << s.cases << " (" << s.open_cases << " open)\n"
                  << "  changes held      " << s.all_changes << " (" << s.own_changes << " written here)\n"
                  << "  waiting for gaps  " << s.waiting_changes << "\n"
                  << "  conflicts         " << s.conflicts << (s.conflicts ? "  (see `kim conflicts`)" : "") << "\n"
                  << "  known replicas   ";
        for (const auto& p : s.peers) std::cout << " " << p;
        std::cout << "\n";
        print_sync_status(std::cout, sync);
    });
}

}  // namespace kim::cli
