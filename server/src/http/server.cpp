#include "server.hpp"

#include <csignal>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "connections.hpp"
#include "listener.hpp"
#include "request_log.hpp"
#include "session.hpp"

namespace kim::server::http {

namespace asio = boost::asio;

struct Server::Impl {
    Impl(ServerOptions server_options, const Router& router, Metrics& metrics)
        : options(std::move(server_options)),
          connections(options.max_connections, metrics),
          sessions{router, metrics, options.tls.get(), SessionLimits{}},
          io(static_cast<int>(options.threads)),
          control(asio::make_strand(io)),
          signals(control, SIGINT, SIGTERM),
          grace_timer(control) {
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options.listen.host), options.listen.port);
        listener = std::make_shared<Listener>(io, endpoint, sessions, connections);
    }

    void begin_shutdown() {
        if (shutting_down) return;
        shutting_down = true;
        signals.cancel();
        listener->stop();
        grace_deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
        wait_for_sessions();
    }

    // Polls rather than counting down per session: simple, and a shutdown
    // happens once.
    void wait_for_sessions() {
        if (connections.open() == 0 || std::chrono::steady_clock::now() >= grace_deadline) {
            if (connections.open() != 0) log_line("shutdown: closing connections still open after the grace period");
            io.stop();
            return;
        }
        grace_timer.expires_after(std::chrono::milliseconds(20));
        grace_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) wait_for_sessions();
        });
    }

    // An exception escaping a handler must not end the server: it is logged
    // and the thread goes back to serving (the connection concerned is lost).
    void serve_thread() {
        for (;;) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {
                log_line(std::string("internal error escaped a connection handler: ") + e.what());
            } catch (...) {
                log_line("internal error escaped a connection handler");
            }
        }
    }

    // Declared in destruction order: the io_context (and with it every
    // session) goes before the objects the sessions refer to.
    ServerOptions options;
    Connections connections;
    SessionContext sessions;
    asio::io_context io;
    // The shutdown steps (signal, stop(), grace polling) run on this strand, one at a time.
    asio::strand<asio::io_context::executor_type> control;
    asio::signal_set signals;
    asio::steady_timer grace_timer;
    std::shared_ptr<Listener> listener;
    bool shutting_down = false;  // only on `control`
    std::chrono::steady_clock::time_point grace_deadline{};
};

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->listener->port(); }

std::string Server::url() const {
    return std::string(impl_->options.tls ? "https://" : "http://") + authority(impl_->options.listen, port());
}

void Server::run() {
    Impl& impl = *impl_;
    impl.signals.async_wait([&impl](boost::system::error_code ec, int) {
        if (!ec) impl.begin_shutdown();
    });
    impl.listener->start();
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < impl.options.threads; ++i) threads.emplace_back([&impl] { impl.serve_thread(); });
    impl.serve_thread();
    for (auto& thread : threads) thread.join();
}

void Server::stop() {
    asio::post(impl_->control, [impl = impl_.get()] { impl->begin_shutdown(); });
}

}  // namespace kim::server::http
