// An HTTP/1.1 client for one server (Boost.Beast, TLS through OpenSSL):
// one keep-alive connection reused for a whole sync, with timeouts and a
// bound on the size of an answer. Beast stays out of this header.
#pragma once

#include <memory>
#include <string>

#include "kim/client/sync.hpp"
#include "transport.hpp"

namespace kim::client {

struct HttpClientOptions {
    ConnectionOptions connection;
    // Pull pages end near 8 MiB of changes; the rest is slack for escaping.
    std::size_t max_response_bytes = std::size_t{64} << 20;
};

// Not thread-safe: one client per thread.
class HttpClient final : public Transport {
public:
    // InputError when the CA file cannot be read. Connects on the first send.
    HttpClient(const ServerUrl& url, HttpClientOptions options);
    ~HttpClient() override;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse send(const HttpRequest& request) override;
    const std::string& server() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kim::client
