#include "listener.hpp"

#include <string>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "kim/shared/errors.hpp"
#include "request_log.hpp"

namespace kim::server::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

[[noreturn]] void cannot_listen(const tcp::endpoint& endpoint, const boost::system::error_code& ec) {
    const std::string where = (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                          : endpoint.address().to_string()) +
                              ":" + std::to_string(endpoint.port());
    if (ec == asio::error::address_in_use) {
        throw StateError("cannot listen on " + where +
                         ": the address is in use (another kim-server?); stop it or choose another port");
    }
    if (ec == boost::system::errc::address_not_available) {
        throw InputError("cannot listen on " + where + ": this machine has no such address; give one of its own");
    }
    if (ec == asio::error::access_denied) {
        throw Error("cannot listen on " + where + ": permission denied (ports below 1024 need privileges)");
    }
    throw Error("cannot listen on " + where + ": " + ec.message());
}

}  // namespace

Listener::Listener(asio::io_context& io, const tcp::endpoint& endpoint, SessionContext& sessions,
                   Connections& connections)
    : io_(io),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      retry_timer_(strand_),
      sessions_(sessions),
      connections_(connections) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    // "[::]" means IPv6 only; an operator who wants both gives two servers or 0.0.0.0.
    if (!ec && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) cannot_listen(endpoint, ec);
    port_ = acceptor_.local_endpoint().port();
}

void Listener::start() {
    asio::post(strand_, [self = shared_from_this()] { self->accept(); });
}

void Listener::stop() {
    asio::post(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        self->retry_timer_.cancel();
        self->connections_.stop_all();
    });
}

void Listener::accept() {
    if (stopped_) return;
    // Each connection gets a strand of its own: its handlers never run at
    // once, while different connections run on all the threads.
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                               self->on_accept(ec, std::move(socket));
                           });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
        // Out of file descriptors, most likely: wait a little instead of
        // spinning, and keep serving the connections already open.
        log_line("accepting a connection failed: " + ec.message());
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
            if (!wait_ec) self->accept();
        });
        return;
    }
    auto slot = connections_.admit();
    if (slot) {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);  // one response, one write: send it now
        try {
            start_session(std::move(socket), sessions_, std::move(slot));
        } catch (const std::exception& e) {
            // E.g. OpenSSL could not make a TLS session: lose this connection, not the listener.
            log_line(std::string("could not start a session: ") + e.what());
        }
    }  // else: the socket closes here, as it goes out of scope
    accept();
}

}  // namespace kim::server::http
