// The session template behind start_session(), included only by
// session_plain.cpp and session_tls.cpp: each instantiates it once, and the
// two compile in parallel. Nothing else includes this (Beast is heavy).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http_message.hpp"
#include "metrics.hpp"
#include "request_log.hpp"
#include "router.hpp"
#include "session.hpp"

namespace kim::server::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

inline bool is_http_parse_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// A client that went away: nothing to answer, nothing to log. (A TLS peer
// that closes without close_notify ends up closed just the same.)
inline bool is_disconnect(const beast::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

// One connection. Reads run against our own deadline timer rather than the
// stream's expiry: an expired tcp_stream closes its socket, and then a late
// client could not be told `408 timeout`. Writes, the TLS handshake and the
// closing steps use the stream's expiry, where closing is the right answer.
// Stream: beast::tcp_stream, or beast::ssl_stream over one.
template <class Stream>
class Session final : public SessionControl, public std::enable_shared_from_this<Session<Stream>> {
public:
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

    template <class... StreamArgs>
    Session(SessionContext& context, std::unique_ptr<Connections::Slot> slot, StreamArgs&&... stream_args)
        : stream_(std::forward<StreamArgs>(stream_args)...),
          context_(context),
          slot_(std::move(slot)),
          timer_(stream_.get_executor()) {}

    void start() {
        connection_start_ = Clock::now();
        // Read once: the handlers count failed sign-ins per address, and the
        // endpoint can no longer be asked once the peer has gone.
        beast::error_code ec;
        const auto peer = lowest().socket().remote_endpoint(ec);
        if (!ec) remote_address_ = peer.address().to_string();
        slot_->watch(this->weak_from_this());
        if constexpr (is_tls) {
            // The handshake counts against the header timeout of the first request.
            lowest().expires_after(context_.limits.header_timeout);
            stream_.async_handshake(Stream::server,
                                    beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
        } else {
            wait_for_request();
        }
    }

    void stop_when_idle() override {
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            self->stopping_ = true;
            // A request in progress is finished and answered (with
            // `Connection: close`); a connection waiting for one is closed now.
            if (self->idle_ && self->reading_) self->cancel_read();
        });
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void on_handshake(beast::error_code ec) {
        if (ec) return close_now();  // a scanner or a client that does not trust us: nothing to answer
        lowest().expires_never();
        wait_for_request();
    }

    // --- reading ------------------------------------------------------------

    void wait_for_request() {
        if (stopping_) return close_gracefully();
        parser_.emplace();
        // The largest body of any route until the header says which route
        // this is (on_header() then lowers it to the route's own limit).
        body_limit_ = context_.limits.body_limit;
        parser_->body_limit(body_limit_);
        parser_->header_limit(static_cast<std::uint32_t>(context_.limits.header_limit));
        idle_ = true;
        if (buffer_.size() > 0) return begin_request();  // a pipelined request is already here
        // A new connection must start its request within the header timeout;
        // a kept-alive one may stay idle longer.
        arm_deadline(first_request_ ? connection_start_ + context_.limits.header_timeout
                                    : Clock::now() + context_.limits.idle_timeout);
        reading_ = true;
        stream_.async_read_some(buffer_.prepare(4096),
                                beast::bind_front_handler(&Session::on_first_bytes, this->shared_from_this()));
    }

    void on_first_bytes(beast::error_code ec, std::size_t bytes) {
        reading_ = false;
        disarm_deadline();
        if (ec) return on_read_error(ec);
        buffer_.commit(bytes);
        begin_request();
    }

    void begin_request() {
        idle_ = false;
        first_byte_ = Clock::now();
        request_start_ = first_request_ ? connection_start_ : first_byte_;
        first_request_ = false;
        arm_deadline(request_start_ + context_.limits.header_timeout);
        reading_ = true;
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        reading_ = false;
        disarm_deadline();
        if (ec) return on_read_error(ec);
        note_request_line();
        if (slot_->kind() == Connections::Kind::refuse_busy) {
            Response busy = error_response(503, "busy",
                                           "the server has too many open connections; try again in a moment");
            busy.headers.emplace_back("Retry-After", "1");
            return send(std::move(busy), false);
        }
        if (refuse_before_body()) return;
        if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
            // curl and others wait for this before they send a large body.
            continue_.emplace(bhttp::status::continue_, parser_->get().version());
            lowest().expires_after(context_.limits.write_timeout);
            return bhttp::async_write(stream_, *continue_,
                                      beast::bind_front_handler(&Session::on_continue, this->shared_from_this()));
        }
        read_body();
    }

    // With the header read and the body not yet: the route's body limit, and
    // the route's own check of the header (the token of a push), so that a
    // body nobody will use is never read. True when an answer is on its way.
    bool refuse_before_body() {
        const auto& header = parser_->get();
        const auto target = header.target();
        Request head = request_for_target(std::string(header.method_string()),
                                          std::string_view(target.data(), target.size()));
        body_limit_ = std::min(context_.limits.body_limit, context_.router.body_limit(head.method, head.path));
        // Beast checks a Content-Length against the limit only while it parses
        // the header (against the largest limit, then); chunked bodies are
        // counted against the limit set here as they arrive.
        const auto length = parser_->content_length();
        if (length && *length > body_limit_) {
            send_too_large();
            return true;
        }
        parser_->body_limit(body_limit_);
        fill_from_fields(head, header);
        std::optional<Response> refusal;
        try {
            refusal = context_.router.check_before_body(head);
        } catch (...) {
            log_line("internal error: no answer could be built for a request; connection closed");
            close_now();
            return true;
        }
        if (!refusal) return false;
        // The body (if any) stays unread: the connection cannot carry another request.
        send(std::move(*refusal), parser_->is_done() && header.keep_alive());
        return true;
    }

    // What the handlers see of the header and the connection besides method and target.
    void fill_from_fields(Request& request, const bhttp::fields& fields) const {
        request.authorization = std::string(fields[bhttp::field::authorization]);
        request.accept = std::string(fields[bhttp::field::accept]);
        request.content_type = std::string(fields[bhttp::field::content_type]);
        // HTTP/1.1 clients send one Cookie line, but may send several
        // (RFC 6265 §5.4 asks them not to); they are one list.
        for (auto [it, end] = fields.equal_range(bhttp::field::cookie); it != end; ++it) {
            if (!request.cookie.empty()) request.cookie += "; ";
            request.cookie += std::string(it->value());
        }
        request.remote_address = remote_address_;
        request.secure = is_tls;
    }

    void send_too_large() {
        const bool push = log_path_ == protocol::path_push;
        const std::string size = body_limit_ >= 1024 * 1024 ? std::to_string(body_limit_ / (1024 * 1024)) + " MiB"
                                                            : std::to_string(body_limit_ / 1024) + " KiB";
        send_error(413, "too_large",
                   "the request body is larger than " + size + ", the limit for " + printable_excerpt(log_method_, 16) +
                       " " + printable_excerpt(log_path_, 80) + (push ? "; send fewer changes per push" : ""));
    }

    void on_continue(beast::error_code ec, std::size_t) {
        lowest().expires_never();
        if (ec) return close_now();
        read_body();
    }

    void read_body() {
        arm_deadline(request_start_ + context_.limits.request_timeout);
        reading_ = true;
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_body, this->shared_from_this()));
    }

    void on_body(beast::error_code ec, std::size_t) {
        reading_ = false;
        disarm_deadline();
        if (ec) return on_read_error(ec);
        handle_request();
    }

    // What the log and the metrics name the request by. The request line may
    // be known before the whole header is (a Content-Length over the limit
    // stops the parser in the header), so look at what has been parsed.
    void note_request_line() {
        log_method_ = "-";
        log_path_ = "-";
        version_ = 11;
        if (!parser_) return;
        const auto& header = parser_->get();
        if (header.method_string().empty()) return;
        log_method_ = std::string(header.method_string());
        const auto target = header.target();
        log_path_ = std::string(target.substr(0, target.find('?')));
        version_ = header.version();
    }

    void on_read_error(const beast::error_code& ec) {
        note_request_line();
        if (ec == asio::error::operation_aborted) {
            // Our deadline or a shutdown cancelled the read. Nothing of a request
            // yet: close quietly; part of one: tell the client why.
            if (timed_out_ && !idle_) {
                return send_error(408, "timeout",
                                  "the request did not arrive in time (headers within " +
                                      std::to_string(context_.limits.header_timeout.count() / 1000) +
                                      " s, the whole request within " +
                                      std::to_string(context_.limits.request_timeout.count() / 1000) + " s)");
            }
            return close_now();
        }
        if (is_disconnect(ec)) return close_now();
        if (ec == bhttp::error::body_limit) return send_too_large();
        if (ec == bhttp::error::header_limit) {
            return send_error(400, "bad_request",
                              "the request headers are larger than " +
                                  std::to_string(context_.limits.header_limit / 1024) + " KiB");
        }
        if (is_http_parse_error(ec)) {
            return send_error(400, "bad_request", "the request is not valid HTTP/1.1 (" + ec.message() + ")");
        }
        close_now();  // a socket or TLS error: the connection is gone
    }

    // --- deadline -----------------------------------------------------------

    void arm_deadline(Clock::time_point deadline) {
        const std::uint64_t generation = ++deadline_generation_;
        timed_out_ = false;
        timer_.expires_at(deadline);
        timer_.async_wait([self = this->shared_from_this(), generation](beast::error_code ec) {
            // A stale expiry (the read finished first and the handler was
            // already queued) must not cancel the next operation.
            if (ec || generation != self->deadline_generation_) return;
            self->timed_out_ = true;
            self->lowest().cancel();
        });
    }

    void disarm_deadline() {
        ++deadline_generation_;
        timer_.cancel();
    }

    void cancel_read() {
        disarm_deadline();
        lowest().cancel();
    }

    // --- answering ----------------------------------------------------------

    void handle_request() {
        bhttp::request<bhttp::string_body> message = parser_->release();
        const auto target = message.target();
        Request request = request_for_target(std::string(message.method_string()),
                                             std::string_view(target.data(), target.size()));
        fill_from_fields(request, message);
        request.body = std::move(message.body());
        Response response;
        try {
            response = context_.router.handle(request);
        } catch (...) {
            // Router::handle only throws when even its error answer could not
            // be built (out of memory); drop the connection rather than the server.
            log_line("internal error: no answer could be built for a request; connection closed");
            return close_now();
        }
        send(std::move(response), message.keep_alive());
    }

    void send_error(unsigned status, std::string_view code, std::string message) {
        send(error_response(status, code, std::move(message)), false);
    }

    void send(Response response, bool keep_alive) {
        log_status_ = response.status;
        keep_alive_ = keep_alive && !stopping_;

        response_.emplace(static_cast<bhttp::status>(response.status), version_);
        response_->set(bhttp::field::server, "kim-server");
        response_->set(bhttp::field::content_type, response.content_type);
        response_->set(bhttp::field::cache_control, "no-store");
        for (const auto& [name, value] : response.headers) response_->set(name, value);
        response_->body() = std::move(response.body);
        response_->keep_alive(keep_alive_);
        response_->prepare_payload();
        // A response to HEAD has the headers of the full response but no body
        // (no route takes HEAD, but its 405 must not leave stray bytes behind).
        if (log_method_ == "HEAD") response_->body().clear();

        lowest().expires_after(context_.limits.write_timeout);
        bhttp::async_write(stream_, *response_,
                           beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        lowest().expires_never();
        response_.reset();
        const double seconds = std::chrono::duration<double>(Clock::now() - first_byte_).count();
        context_.metrics.count_request(context_.router.route_label(log_path_), log_status_, seconds);
        log_request(log_method_, log_path_, log_status_, seconds * 1000.0);
        if (ec) return close_now();
        if (!keep_alive_) return close_gracefully();
        wait_for_request();
    }

    // --- closing ------------------------------------------------------------

    // After our last answer: the client may still be sending (the rest of a
    // body we refused). Closing with unread data would reset the connection
    // and could destroy the answer before the client reads it, so half-close
    // and read what comes for a moment first.
    void close_gracefully() {
        disarm_deadline();
        lowest().expires_after(context_.limits.linger_timeout);
        if constexpr (is_tls) {
            stream_.async_shutdown(beast::bind_front_handler(&Session::on_tls_shutdown, this->shared_from_this()));
        } else {
            beast::error_code ignored;
            stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
            drain();
        }
    }

    void on_tls_shutdown(beast::error_code) { close_now(); }

    void drain() {
        lowest().async_read_some(asio::buffer(drain_buffer_),
                                 [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                     if (ec) return self->close_now();
                                     self->drain();
                                 });
    }

    void close_now() {
        disarm_deadline();
        beast::error_code ignored;
        lowest().socket().close(ignored);
    }

    Stream stream_;
    SessionContext& context_;
    std::unique_ptr<Connections::Slot> slot_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::optional<bhttp::response<bhttp::empty_body>> continue_;
    std::optional<bhttp::response<bhttp::string_body>> response_;
    std::array<char, 16 * 1024> drain_buffer_{};

    std::size_t body_limit_ = 0;  // of the request being read
    std::uint64_t deadline_generation_ = 0;
    bool timed_out_ = false;
    bool idle_ = true;      // waiting for the first byte of a request
    bool reading_ = false;  // a read is in flight (a shutdown may cancel it)
    bool stopping_ = false;
    bool first_request_ = true;
    bool keep_alive_ = false;
    Clock::time_point connection_start_{};
    Clock::time_point request_start_{};  // what the timeouts count from
    Clock::time_point first_byte_{};     // what the latency histogram counts from

    std::string remote_address_;  // the peer's IP address, empty if it could not be read
    std::string log_method_;
    std::string log_path_;
    unsigned log_status_ = 0;
    unsigned version_ = 11;
};

}  // namespace kim::server::http::detail
