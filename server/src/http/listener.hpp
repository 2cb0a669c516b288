// Accepts connections and gives each to a session of its own, within the
// bound kept by Connections.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "connections.hpp"
#include "session.hpp"

namespace kim::server::http {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // Binds and listens at once, so that the port is known before run();
    // kim::Error with advice when the address cannot be used.
    Listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, SessionContext& sessions,
             Connections& connections);

    std::uint16_t port() const { return port_; }
    void start();
    // Thread-safe: stops accepting, then asks every session to finish.
    void stop();

private:
    void accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    SessionContext& sessions_;
    Connections& connections_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
};

}  // namespace kim::server::http
