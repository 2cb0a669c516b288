// init, replica add|list|revoke, user add: the administrator's commands.
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "auth/password.hpp"
#include "commands.hpp"
#include "store/open_store.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/time_format.hpp"

namespace kim::server::cli {

namespace {

void require_name(const std::string& name, const std::string& what, const std::string& example) {
    if (!is_valid_name(name)) {
        throw InputError(what + " '" + name.substr(0, 64) + "' is not valid: use 1-63 of a-z, 0-9 and '-', starting with a "
                         "letter or digit (e.g. " + example + ")");
    }
}

crypto::PublicKey parse_public_key(const std::string& text) {
    const auto key = base64_decode_fixed<crypto::public_key_size>(text);
    if (!key) {
        throw InputError("--pubkey must be an Ed25519 public key: base64 of 32 bytes, as `kim pubkey` prints it");
    }
    return *key;
}

// One line from standard input, without its line end. Never echoed or logged.
std::string read_password_line() {
    std::string line;
    if (!std::getline(std::cin, line) || line.empty()) {
        throw InputError("--password-stdin: no password on standard input; pipe it in, e.g. from a password manager");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void add_init(CLI::App& app, GlobalOptions& global) {
    auto* init = app.add_subcommand("init", "Create the server's store, signing key and token secret in the data folder");
    init->callback([&global] {
        const std::string location = global.location();
        create_store(location);
        const auto store = open_store(location);
        // The URI as typed may hold a password: the advice shows it without.
        const std::string where = printable_location(location);
        const std::string option = global.store.empty() ? "--data " + where : "--store " + where;
        std::cout << "Created the server store in " << where
                  << (global.store.empty() ? " (readable by this user only).\n" : ".\n")
                  << "Server public key (it signs the log's checkpoints; give it to the auditors):\n"
                  << base64_encode(store->secrets().public_key) << "\n"
                  << "Next: enrol each replica with `kim-server " << option
                  << " replica add ID --site SITE --pubkey KEY` (KEY from `kim pubkey` on the replica), then start the "
                     "server with `kim-server "
                  << option << " serve --listen 127.0.0.1:8080`.\n";
    });
}

void add_replica_commands(CLI::App& app, GlobalOptions& global) {
    auto* replica = app.add_subcommand("replica", "Enrol, list and revoke the replicas (devices) of the sites");
    replica->require_subcommand(1);

    struct AddArgs {
        std::string id, site, pubkey;
    };
    auto add_args = std::make_shared<AddArgs>();
    auto* add = replica->add_subcommand("add", "Enrol a replica: its id, its site and its public key");
    add->add_option("ID", add_args->id, "The replica's id, as given to `kim init --replica`")->required();
    add->add_option("--site", add_args->site, "The site the replica belongs to")->required();
    add->add_option("--pubkey", add_args->pubkey, "Its public key (base64, from `kim pubkey` on the replica)")->required();
    add->callback([&global, add_args] {
        require_name(add_args->id, "replica id", "hamborn-a");
        require_name(add_args->site, "site name", "hamborn");
        EnrolledReplica r;
        r.id = add_args->id;
        r.site = add_args->site;
        r.public_key = parse_public_key(add_args->pubkey);
        r.enrolled_at = system_seconds();
        open_store(global.location())->add_replica(r);
        std::cout << "Enrolled replica " << r.id << " of site " << r.site << ". It may now sync with this server.\n";
    });

    auto json = std::make_shared<bool>(false);
    auto* list = replica->add_subcommand("list", "List the enrolled replicas");
    list->add_flag("--json", *json, "Print JSON");
    list->callback([&global, json] {
        const auto replicas = open_store(global.location())->replicas();
        if (*json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& r : replicas) {
                out.push_back({{"id", r.id},
                               {"site", r.site},
                               {"public_key", base64_encode(r.public_key)},
                               {"enrolled_at", r.enrolled_at},
                               {"revoked_at", r.revoked_at ? nlohmann::json(*r.revoked_at) : nlohmann::json()}});
            }
            std::cout << out.dump(2) << "\n";
            return;
        }
        if (replicas.empty()) {
            std::cout << "No replica is enrolled yet; enrol one with `kim-server replica add ID --site SITE --pubkey KEY`.\n";
            return;
        }
        for (const auto& r : replicas) {
            std::cout << r.id << "  site " << r.site << "  enrolled " << utc_minutes(r.enrolled_at) << "  "
                      << (r.revoked_at ? "REVOKED " + utc_minutes(*r.revoked_at) : std::string("active")) << "\n"
                      << "    key " << base64_encode(r.public_key) << "\n";
        }
    });

    auto revoke_id = std::make_shared<std::string>();
    auto* revoke = replica->add_subcommand("revoke", "Revoke a replica (a lost or retired device); its past changes stay");
    revoke->add_option("ID", *revoke_id, "The replica's id")->required();
    revoke->callback([&global, revoke_id] {
        open_store(global.location())->revoke_replica(*revoke_id, system_seconds());
        std::cout << "Revoked replica " << *revoke_id
                  << ": it can no longer sign in, push or pull (at once, also with a token it holds). Its past changes "
                     "stay in the log.\n";
    });
}

void add_user_commands(CLI::App& app, GlobalOptions& global) {
    auto* user = app.add_subcommand("user", "Enrol the coordinators and auditors");
    user->require_subcommand(1);

    struct AddArgs {
        std::string name, role, pubkey;
        bool password_stdin = false;
    };
    auto args = std::make_shared<AddArgs>();
    auto* add = user->add_subcommand("add", "Enrol a coordinator or auditor, with a public key or a password");
    add->add_option("NAME", args->name, "The user's name (a-z, 0-9, '-')")->required();
    add->add_option("--role", args->role, "coordinator (statistics) or auditor (the signed log)")
        ->required()
        ->check(CLI::IsMember({"coordinator", "auditor"}));
    auto* pubkey = add->add_option("--pubkey", args->pubkey, "The user's Ed25519 public key (base64) for challenge-response");
    auto* password = add->add_flag("--password-stdin", args->password_stdin,
                                   "Read a password (at least 12 characters) from one line of standard input");
    pubkey->excludes(password);
    password->excludes(pubkey);
    add->callback([&global, args] {
        require_name(args->name, "user name", "duisburg-coordination");
        if (args->pubkey.empty() == !args->password_stdin) {
            throw InputError("give exactly one of --pubkey KEY and --password-stdin");
        }
        User u;
        u.name = args->name;
        u.role = protocol::role_from_string(args->role);
        u.created_at = system_seconds();
        if (!args->pubkey.empty()) {
            u.public_key = parse_public_key(args->pubkey);
        } else {
            std::string secret = read_password_line();
            try {
                u.password_hash = hash_password(secret);
            } catch (...) {
                secure_wipe(secret.data(), secret.size());
                throw;
            }
            secure_wipe(secret.data(), secret.size());
        }
        // The store is opened only now: a bad password leaves nothing behind.
        open_store(global.location())->add_user(u);
        std::cout << "Enrolled " << args->role << " " << u.name << (u.public_key ? " with a public key" : " with a password")
                  << ".\n";
    });
}

}  // namespace

void add_admin_commands(CLI::App& app, GlobalOptions& global) {
    add_init(app, global);
    add_replica_commands(app, global);
    add_user_commands(app, global);
}

}  // namespace kim::server::cli
