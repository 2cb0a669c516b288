// One client connection: plain TCP or TLS, keep-alive, the timeouts and
// limits of docs/protocol.md, each request handed to the router. Only
// session_plain.cpp and session_tls.cpp instantiate the Beast templates
// (session_impl.hpp); this header stays light.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "connections.hpp"
#include "kim/shared/protocol.hpp"

namespace boost::asio::ssl {
class context;
}

namespace kim::server::http {

class Router;
class Metrics;

// docs/protocol.md "Limits and timeouts".
struct SessionLimits {
    std::chrono::milliseconds header_timeout{10'000};   // from the first byte of a request (or the connection)
    std::chrono::milliseconds request_timeout{30'000};  // the whole request, counted the same way
    std::chrono::milliseconds idle_timeout{30'000};     // between keep-alive requests
    std::chrono::milliseconds write_timeout{30'000};    // a client that does not read its response
    std::chrono::milliseconds linger_timeout{2'000};    // reading what a client still sends after our last answer
    // A ceiling over every route's own limit (Router::body_limit), which the
    // session applies once the header names the route.
    std::size_t body_limit = protocol::max_request_body_bytes;
    std::size_t header_limit = 16 * 1024;
};

struct SessionContext {
    const Router& router;
    Metrics& metrics;
    boost::asio::ssl::context* tls = nullptr;  // null: plain HTTP
    SessionLimits limits;
};

// Starts serving `socket` (whose executor is a strand of its own). The
// session lives as long as its asynchronous operations; `slot` with it.
void start_session(boost::asio::ip::tcp::socket socket, SessionContext& context,
                   std::unique_ptr<Connections::Slot> slot);

namespace detail {
// session_plain.cpp and session_tls.cpp, one Beast instantiation each.
void start_plain_session(boost::asio::ip::tcp::socket socket, SessionContext& context,
                         std::unique_ptr<Connections::Slot> slot);
void start_tls_session(boost::asio::ip::tcp::socket socket, SessionContext& context,
                       std::unique_ptr<Connections::Slot> slot);
}  // namespace detail

}  // namespace kim::server::http
