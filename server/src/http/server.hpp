// The HTTP server of `kim-server serve`: binds at construction, then serves
// on N threads until SIGINT, SIGTERM or stop(). Beast and Asio stay behind
// the Impl, so that whoever starts a server compiles none of them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "listen_address.hpp"

namespace boost::asio::ssl {
class context;
}

namespace kim::server::http {

class Router;
class Metrics;

struct ServerOptions {
    ListenAddress listen;
    unsigned threads = 2;
    std::size_t max_connections = 256;
    std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
    // How long requests in progress may take to finish after a stop.
    std::chrono::milliseconds shutdown_grace{5'000};
};

class Server {
public:
    // Binds and listens (kim::Error with advice when it cannot) and takes
    // over SIGINT and SIGTERM, so that a signal arriving before run() is not lost.
    // `router` and `metrics` must outlive the server.
    Server(ServerOptions options, const Router& router, Metrics& metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const;
    // "http://127.0.0.1:8080" or "https://[::1]:8443", with the real port.
    std::string url() const;

    // Serves until a signal or stop(); then stops accepting, lets requests in
    // progress finish (up to the grace period) and returns.
    void run();
    // Thread-safe; also before run().
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kim::server::http
