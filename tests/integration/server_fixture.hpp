// One real kim-server per test suite (fresh data folder, ephemeral loopback
// port), and replicas enrolled on it under names unique to each test, so
// that the tests of a suite never see each other's changes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "protocol_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace kim::test {

class ServerSuite : public ::testing::Test {
public:
    static void SetUpTestSuite();
    static void TearDownTestSuite();

protected:
    static ServerProcess& server() { return *server_; }
    static int port() { return server_->port(); }
    // A name never used before in this run: "<stem>-<n>".
    static std::string unique(const std::string& stem);
    // A replica enrolled for `site` and authenticated.
    static ProtocolClient enrolled(const std::string& stem, const std::string& site);

private:
    static std::unique_ptr<TempDir> dir_;
    static std::unique_ptr<ServerProcess> server_;
};

}  // namespace kim::test
