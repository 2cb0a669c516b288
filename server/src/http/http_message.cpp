#include "http_message.hpp"

#include <cstdio>

#include "kim/shared/protocol.hpp"

namespace kim::server::http {

Request request_for_target(std::string method, std::string_view target) {
    Request request;
    request.method = std::move(method);
    const auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    return request;
}

Response json_response(unsigned status, const nlohmann::json& body) {
    Response response;
    response.status = status;
    // `replace` keeps a response about invalid UTF-8 (which parse_untrusted_json
    // refuses anyway) from throwing while it is being written.
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

Response error_response(unsigned status, std::string_view code, std::string message) {
    return json_response(status, protocol::to_json(protocol::ErrorBody{std::string(code), std::move(message)}));
}

std::string printable_excerpt(std::string_view text, std::size_t max_chars) {
    std::string out;
    const bool cut = text.size() > max_chars;
    if (cut) text = text.substr(0, max_chars);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '\\') {
            out += c;
        } else {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        }
    }
    if (cut) out += "…";
    return out;
}

}  // namespace kim::server::http
