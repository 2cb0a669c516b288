#include "session.hpp"

namespace kim::server::http {

void start_session(boost::asio::ip::tcp::socket socket, SessionContext& context,
                   std::unique_ptr<Connections::Slot> slot) {
    if (context.tls) {
        detail::start_tls_session(std::move(socket), context, std::move(slot));
    } else {
        detail::start_plain_session(std::move(socket), context, std::move(slot));
    }
}

}  // namespace kim::server::http
