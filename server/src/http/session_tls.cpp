// Sessions over TLS: the handshake, then the same HTTP as in plain sessions.
#include <boost/beast/ssl.hpp>

#include "session_impl.hpp"

namespace kim::server::http::detail {

void start_tls_session(asio::ip::tcp::socket socket, SessionContext& context,
                       std::unique_ptr<Connections::Slot> slot) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(context, std::move(slot), std::move(socket),
                                                                      *context.tls)
        ->start();
}

}  // namespace kim::server::http::detail
