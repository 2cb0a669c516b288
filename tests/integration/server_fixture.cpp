#include "server_fixture.hpp"

#include <atomic>

namespace kim::test {

std::unique_ptr<TempDir> ServerSuite::dir_;
std::unique_ptr<ServerProcess> ServerSuite::server_;

void ServerSuite::SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("kimserver");
    server_ = std::make_unique<ServerProcess>(KIM_SERVER_BINARY, dir_->path() / "data");
    server_->start();
}

void ServerSuite::TearDownTestSuite() {
    server_.reset();
    dir_.reset();
}

std::string ServerSuite::unique(const std::string& stem) {
    static std::atomic<int> counter{0};
    return stem + "-" + std::to_string(++counter);
}

ProtocolClient ServerSuite::enrolled(const std::string& stem, const std::string& site) {
    ProtocolClient c(port(), unique(stem), site);
    server_->enrol_replica(c.identity(), site, c.public_key_base64());
    c.authenticate();
    return c;
}

}  // namespace kim::test
