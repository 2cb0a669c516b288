// `kim-server [--data DIR | --store URI] serve --listen HOST:PORT [--threads N]
//   [--tls-cert FILE --tls-key FILE] [--max-connections N] [--checkpoint-every N]
//   [--stats-k K] [--token-lifetime SECONDS]`
#include <algorithm>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "audit/audit_service.hpp"
#include "auth/auth_service.hpp"
#include "auth/dashboard_sessions.hpp"
#include "auth/login_guard.hpp"
#include "commands.hpp"
#include "handlers/handlers.hpp"
#include "http/listen_address.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "stats/stats_service.hpp"
#include "store/open_store.hpp"
#include "sync/sync_service.hpp"

namespace kim::server::cli {

namespace {

struct ServeOptions {
    std::string listen;
    unsigned threads = 2;
    std::size_t max_connections = 256;
    std::optional<std::filesystem::path> tls_cert;
    std::optional<std::filesystem::path> tls_key;
    std::uint64_t checkpoint_every = protocol::default_checkpoint_interval;
    std::uint64_t stats_k = stats::default_k;
    std::int64_t token_lifetime = protocol::token_lifetime_seconds;
};

// A token is checked against the store on every request (revocation is
// immediate), so its lifetime only bounds how long a stolen one is good for:
// at most a day; at least a second, since the client signs in again on a 401.
constexpr std::int64_t min_token_lifetime_seconds = 1;
constexpr std::int64_t max_token_lifetime_seconds = 24 * 60 * 60;

void serve(const GlobalOptions& global, const ServeOptions& options) {
    http::ServerOptions server_options;
    server_options.listen = http::parse_listen_address(options.listen);
    server_options.threads = options.threads;
    server_options.max_connections = options.max_connections;

    if (options.tls_cert.has_value() != options.tls_key.has_value()) {
        throw InputError("--tls-cert and --tls-key go together: give both (a PEM certificate and its private key), "
                         "or neither for plain HTTP on a loopback address");
    }
    if (options.tls_cert) {
        server_options.tls = http::make_tls_context(*options.tls_cert, *options.tls_key);
    } else if (!http::is_loopback(server_options.listen)) {
        // Tokens and ciphertexts must not cross a network in clear.
        throw InputError("refusing to serve plain HTTP on " + server_options.listen.host +
                         ", which is not a loopback address: pass --tls-cert FILE --tls-key FILE, "
                         "or listen on 127.0.0.1 or [::1]");
    }

    const std::unique_ptr<Store> store = open_store(global.location(), StoreOptions{options.checkpoint_every});
    AuthService auth(*store, system_seconds, options.token_lifetime);
    SyncService sync(*store, Catalogue::builtin());
    AuditService audit(*store);
    stats::StatsService stats(*store, Catalogue::builtin(), options.stats_k);
    DashboardSessions sessions;
    // A password check (Argon2id, most of a second) holds a serving thread:
    // leave at least one thread for everything else.
    LoginLimits login_limits;
    login_limits.concurrent_checks = std::min<std::size_t>(login_limits.concurrent_checks,
                                                           std::max(1u, options.threads - 1));
    LoginGuard login_guard(system_seconds, login_limits);

    http::Metrics metrics;
    http::Router router;
    http::add_health_routes(router, metrics);
    http::add_auth_routes(router, auth);
    http::add_sync_routes(router, auth, sync, metrics);
    http::add_audit_routes(router, auth, audit);
    http::add_stats_routes(router, auth, sessions, stats);
    http::add_session_routes(router, *store, sessions, login_guard);
    http::add_dashboard_routes(router);

    // A client that disconnects must not kill the server with SIGPIPE
    // (Asio avoids it on sockets; this also covers our stdout).
    std::signal(SIGPIPE, SIG_IGN);

    http::Server server(std::move(server_options), router, metrics);
    // This line first once the port is bound: scripts and tests read the
    // real port from it (`--listen 127.0.0.1:0` picks a free one).
    std::cout << "kim-server listening on " << server.url() << std::endl;
    std::cout << "coordinators' dashboard: " << server.url() << "/" << std::endl;
    server.run();
    std::cout << "kim-server stopped" << std::endl;
}

}  // namespace

void add_serve_command(CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<ServeOptions>();
    CLI::App* cmd = app.add_subcommand("serve", "Serve the sync protocol over HTTP (TLS outside loopback)");
    cmd->add_option("--listen", options->listen,
                    "HOST:PORT to listen on, e.g. 127.0.0.1:8443 or [::1]:0 (port 0: any free port)")
        ->required();
    cmd->add_option("--threads", options->threads, "Threads serving requests (default 2)")
        ->check(CLI::Range(1u, 256u));
    cmd->add_option("--tls-cert", options->tls_cert, "PEM certificate (chain) for HTTPS; needs --tls-key");
    cmd->add_option("--tls-key", options->tls_key, "PEM private key of the certificate; needs --tls-cert");
    cmd->add_option("--max-connections", options->max_connections,
                    "Connections open at once; more are answered 503 busy (default 256)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
    cmd->add_option("--checkpoint-every", options->checkpoint_every,
                    "Sign a checkpoint of the log every N changes (default " +
                        std::to_string(protocol::default_checkpoint_interval) + ")")
        ->check(CLI::Range(std::uint64_t{1}, max_checkpoint_interval));
    cmd->add_option("--stats-k", options->stats_k,
                    "Suppress statistics cells below K, and those that would give them away (default " +
                        std::to_string(stats::default_k) + ")")
        ->check(CLI::Range(stats::min_k, stats::max_k));
    cmd->add_option("--token-lifetime", options->token_lifetime,
                    "Seconds an access token stays valid after sign-in (default " +
                        std::to_string(protocol::token_lifetime_seconds) + ", from " +
                        std::to_string(min_token_lifetime_seconds) + " to " +
                        std::to_string(max_token_lifetime_seconds) + ")")
        ->check(CLI::Range(min_token_lifetime_seconds, max_token_lifetime_seconds));
    cmd->callback([&global, options] { serve(global, *options); });
}

}  // namespace kim::server::cli
