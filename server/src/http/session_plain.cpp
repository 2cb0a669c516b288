// Sessions over plain TCP (loopback only; serve_command refuses it elsewhere).
#include "session_impl.hpp"

namespace kim::server::http::detail {

void start_plain_session(asio::ip::tcp::socket socket, SessionContext& context,
                         std::unique_ptr<Connections::Slot> slot) {
    std::make_shared<Session<beast::tcp_stream>>(context, std::move(slot), std::move(socket))->start();
}

}  // namespace kim::server::http::detail
