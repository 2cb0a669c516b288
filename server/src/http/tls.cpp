#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "kim/shared/errors.hpp"

namespace kim::server::http {

namespace {

// Checked before OpenSSL reads it, because OpenSSL's own words for a missing
// file ("system lib") do not help the person who typed the path.
void require_readable(const std::filesystem::path& file, const char* what) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        throw InputError("the TLS " + std::string(what) + " " + file.string() + " does not exist; check the path");
    }
    if (std::filesystem::is_directory(file, ec)) {
        throw InputError("the TLS " + std::string(what) + " " + file.string() + " is a folder, not a PEM file");
    }
    std::ifstream in(file);
    if (!in) {
        throw InputError("cannot read the TLS " + std::string(what) + " " + file.string() + ": " +
                         std::strerror(errno) + "; check its permissions");
    }
}

std::string openssl_reason(const boost::system::error_code& ec) {
    // Asio's message for an OpenSSL error is its reason string, e.g.
    // "no start line" or "key values mismatch".
    std::string text = ec.message();
    ERR_clear_error();
    return text;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::filesystem::path& certificate_file,
                                                            const std::filesystem::path& key_file) {
    namespace ssl = boost::asio::ssl;
    require_readable(certificate_file, "certificate");
    require_readable(key_file, "private key");

    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    // The options above forbid the old versions one by one; the minimum also
    // covers any version OpenSSL may add below it in a configuration file.
    if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
        throw Error("OpenSSL refused to set TLS 1.2 as the minimum version");
    }
    // Renegotiation is an old source of denial of service; TLS 1.3 has none.
    SSL_CTX_set_options(context->native_handle(), SSL_OP_NO_RENEGOTIATION);

    // Without a callback OpenSSL would prompt on the terminal for the
    // passphrase of an encrypted key and hang a service; refuse such keys.
    context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });

    boost::system::error_code ec;
    context->use_certificate_chain_file(certificate_file.string(), ec);
    if (ec) {
        throw InputError("the TLS certificate " + certificate_file.string() +
                         " is not a PEM certificate (chain): " + openssl_reason(ec));
    }
    context->use_private_key_file(key_file.string(), ssl::context::pem, ec);
    if (ec) {
        throw InputError("the TLS private key " + key_file.string() +
                         " is not an unencrypted PEM private key: " + openssl_reason(ec));
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
        ERR_clear_error();
        throw InputError("the TLS private key " + key_file.string() + " does not belong to the certificate " +
                         certificate_file.string());
    }
    return context;
}

}  // namespace kim::server::http
