// The Beast client behind Transport. Every operation is started
// asynchronously and the private io_context is run until it completes: that
// is how Beast gives a blocking caller real timeouts (tcp_stream's expiry
// closes the socket), which the plain synchronous calls do not have.
#include "http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <vector>

namespace kim::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
    const auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// Errors after which a reused keep-alive connection is simply stale: the
// server closed it while idle. One fresh connection is then worth a try.
bool stale_connection(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

bool is_tls_error(const beast::error_code& ec) { return ec.category() == asio::error::get_ssl_category(); }

// What went wrong in the handshake, by OpenSSL's verify result, and what helps.
std::string tls_failure_advice(long verified, const std::string& handshake_error) {
    switch (verified) {
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return "the server's certificate is for another host name or address. Use the name the certificate was "
                   "issued for in the server URL, or ask the server's administrator for a certificate naming this one "
                   "(a CA file does not help)";
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return "the server's certificate is signed by a CA this computer does not know (" +
                   std::string(X509_verify_cert_error_string(verified)) +
                   "). If it comes from your own CA, give that CA's certificate with --ca-file FILE or `kim config ca-file FILE`";
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "the server's certificate " + std::string(verified == X509_V_ERR_CERT_HAS_EXPIRED ? "has expired" : "is not valid yet") +
                   ": check this computer's clock, else tell the server's administrator";
        case X509_V_OK: return handshake_error;
        default:
            return "the server's certificate does not verify (" + std::string(X509_verify_cert_error_string(verified)) +
                   "); tell the server's administrator";
    }
}

}  // namespace

struct HttpClient::Impl {
    ServerUrl url;
    std::string url_text;
    HttpClientOptions options;
    asio::io_context ioc;
    std::optional<asio::ssl::context> tls;
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;  // kept across responses of one connection (bytes may run ahead)
    bool open = false;

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    // Starts one asynchronous operation and runs the io_context until it is
    // done; the stream's expiry (set by the caller) bounds how long that takes.
    template <class Start>
    beast::error_code run(Start&& start) {
        beast::error_code result = asio::error::operation_aborted;
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        ioc.restart();
        ioc.run();
        return result;
    }

    // Calls `f` with the stream that requests go through.
    template <class F>
    beast::error_code on_stream(F&& f) {
        return secure ? f(*secure) : f(*plain);
    }

    [[noreturn]] void unreachable(const std::string& reason) {
        close();
        throw UnreachableError(url_text, reason);
    }

    std::vector<tcp::endpoint> resolve() {
        tcp::resolver resolver(ioc);
        beast::error_code ec = asio::error::operation_aborted;
        bool done = false;
        std::vector<tcp::endpoint> endpoints;
        resolver.async_resolve(url.host, std::to_string(url.port),
                               [&](beast::error_code e, const tcp::resolver::results_type& results) {
                                   ec = e;
                                   done = true;
                                   for (const auto& r : results) endpoints.push_back(r.endpoint());
                               });
        ioc.restart();
        ioc.run_for(options.connection.connect_timeout);
        if (!done) {
            resolver.cancel();
            ioc.restart();
            ioc.run();
            unreachable("the name " + url.host + " was not resolved within " + seconds_text(options.connection.connect_timeout));
        }
        if (ec) unreachable("the name " + url.host + " cannot be resolved (" + ec.message() + ")");
        if (!url.tls) {
            // The URL check already allows only loopback names for plain
            // http; a name must also lead only to this computer.
            std::erase_if(endpoints, [](const tcp::endpoint& e) { return !e.address().is_loopback(); });
            if (endpoints.empty()) {
                throw InputError(url.host + " does not resolve to this computer, and plain http is allowed only on it: use https://");
            }
        }
        return endpoints;
    }

    void connect() {
        const auto endpoints = resolve();
        if (url.tls) {
            secure.emplace(ioc, *tls);
            // SNI names the host (never an IP address, RFC 6066); the
            // certificate must be valid for the host or address we asked for.
            if (!is_ip_address(url.host) && !SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str())) {
                throw Error("cannot set the TLS server name for " + url.host);
            }
            // OpenSSL checks the name itself (the same X509_check_host/ip as
            // asio's host_name_verification), so that its verify result tells
            // a name mismatch from an unknown CA.
            SSL* ssl = secure->native_handle();
            const bool named = is_ip_address(url.host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) == 1
                                                       : SSL_set1_host(ssl, url.host.c_str()) == 1;
            if (!named) throw Error("cannot set the name to check in the TLS certificate of " + url.host);
            secure->set_verify_mode(asio::ssl::verify_peer);
        } else {
            plain.emplace(ioc);
        }
        lowest().expires_after(options.connection.connect_timeout);
        beast::error_code ec = run([&](auto handler) { lowest().async_connect(endpoints, handler); });
        if (ec == beast::error::timeout) unreachable("no connection within " + seconds_text(options.connection.connect_timeout));
        if (ec) unreachable(ec.message());
        if (secure) {
            lowest().expires_after(options.connection.connect_timeout);
            ec = run([&](auto handler) { secure->async_handshake(asio::ssl::stream_base::client, handler); });
            if (ec == beast::error::timeout) unreachable("the TLS handshake did not finish within " + seconds_text(options.connection.connect_timeout));
            if (ec && is_tls_error(ec)) {
                const long verified = SSL_get_verify_result(secure->native_handle());
                close();
                // Not "unreachable": a certificate that does not verify may be
                // an attacker in between, and retrying will not help.
                throw Error("the TLS connection to " + url_text + " failed: " + tls_failure_advice(verified, ec.message()) +
                            "; nothing was sent");
            }
            if (ec) unreachable(ec.message());
        }
        buffer.clear();
        open = true;
    }

    static bool is_ip_address(const std::string& host) {
        beast::error_code ec;
        asio::ip::make_address(host, ec);
        return !ec;
    }

    void close() {
        if (secure || plain) {
            beast::error_code ignored;
            lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
            lowest().socket().close(ignored);
        }
        secure.reset();
        plain.reset();
        buffer.clear();
        open = false;
    }

    // One exchange on the open connection; the error (if any) is returned so
    // that the caller can tell a stale connection from a real failure.
    beast::error_code exchange(http::request<http::string_body>& req, http::response<http::string_body>& res) {
        lowest().expires_after(options.connection.request_timeout);
        beast::error_code ec = on_stream([&](auto& stream) { return run([&](auto handler) { http::async_write(stream, req, handler); }); });
        if (ec) return ec;
        http::response_parser<http::string_body> parser;
        parser.body_limit(options.max_response_bytes);
        ec = on_stream([&](auto& stream) { return run([&](auto handler) { http::async_read(stream, buffer, parser, handler); }); });
        if (ec) return ec;
        lowest().expires_never();
        res = parser.release();
        return {};
    }
};

HttpClient::HttpClient(const ServerUrl& url, HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->url = url;
    impl_->url_text = url.text();
    impl_->options = std::move(options);
    if (url.tls) {
        auto& ctx = impl_->tls.emplace(asio::ssl::context::tls_client);
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        beast::error_code ec;
        ctx.set_default_verify_paths(ec);  // the system's CAs may be absent; a CA file may still do
        const std::string& ca = impl_->options.connection.ca_file;
        if (!ca.empty()) {
            ctx.load_verify_file(ca, ec);
            if (ec) {
                throw InputError("cannot use the CA file " + ca + " (" + ec.message() +
                                 "): give a PEM file with the certificate of the CA that signed the server's certificate");
            }
        }
    }
}

HttpClient::~HttpClient() {
    if (impl_) impl_->close();
}

const std::string& HttpClient::server() const { return impl_->url_text; }

HttpResponse HttpClient::send(const HttpRequest& request) {
    auto& d = *impl_;
    http::request<http::string_body> req{request.method == "POST" ? http::verb::post : http::verb::get, request.target, 11};
    req.set(http::field::host, d.url.authority());
    req.set(http::field::user_agent, "kimsync-client");
    req.set(http::field::accept, "application/json");
    if (!request.bearer.empty()) req.set(http::field::authorization, "Bearer " + request.bearer);
    if (req.method() == http::verb::post) {
        req.set(http::field::content_type, "application/json");
        req.body() = request.body;
    }
    req.keep_alive(true);
    req.prepare_payload();

    http::response<http::string_body> res;
    const bool reused = d.open;
    if (!d.open) d.connect();
    beast::error_code ec = d.exchange(req, res);
    if (ec && reused && stale_connection(ec) && request.repeatable) {
        // A push repeated is acknowledged as duplicates, a challenge simply is
        // another one; a token request is not repeated (HttpRequest::repeatable).
        d.close();
        d.connect();
        ec = d.exchange(req, res);
    }
    if (ec == beast::error::timeout) {
        d.unreachable("no answer within " + seconds_text(d.options.connection.request_timeout));
    }
    if (ec == http::error::body_limit) {
        d.close();
        throw Error("the answer of the server at " + d.url_text + " is larger than " +
                    std::to_string(d.options.max_response_bytes >> 20) + " MiB, more than any answer of protocol v1; "
                    "is this a kimsync server?");
    }
    if (ec) d.unreachable("the connection broke (" + ec.message() + ")");
    if (!res.keep_alive()) d.close();
    return {res.result_int(), std::move(res.body())};
}

}  // namespace kim::client
