// The TLS context of `serve --tls-cert FILE --tls-key FILE`: TLS 1.2 or newer
// only, certificate chain and private key from PEM files.
#pragma once

#include <filesystem>
#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace kim::server::http {

// InputError naming the file and what is wrong with it (missing, unreadable,
// not PEM, key not matching the certificate). A shared_ptr so that this header
// needs no OpenSSL: its deleter is bound where the context is made.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::filesystem::path& certificate_file,
                                                            const std::filesystem::path& key_file);

}  // namespace kim::server::http
