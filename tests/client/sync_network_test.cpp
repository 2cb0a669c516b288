// kim::client::sync when no server answers: a clear error, and nothing
// changed or lost on the replica. (With a real server: tests/integration.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/errors.hpp"
#include "replica_fixture.hpp"
#include "temp_dir.hpp"

namespace {

using kim::client::Replica;
using kim::test::TempDir;

// A loopback port that nothing listens on: bound once by the kernel's
// choice, then closed again.
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

class sync_offline : public ::testing::Test {
protected:
    TempDir dir{"kim-sync-offline"};
    Replica a = kim::test::make_replica(dir / "a", "hamborn", "hamborn-a");
};

TEST_F(sync_offline, without_a_server_it_says_how_to_set_one) {
    a.create_case({{"name", "Amina Haddad"}});
    try {
        kim::client::sync(a, {});
        ADD_FAILURE() << "synced without a server";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("kim config server URL"), std::string::npos) << e.what();
    }
    EXPECT_EQ(a.sync_state().outbox, 1u);
}

TEST_F(sync_offline, an_unreachable_server_leaves_everything_in_the_outbox) {
    const std::string id = a.create_case({{"name", "Amina Haddad"}});
    a.set_fields(id, {{"phase", "assessment"}});
    const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
    a.set_server(url);
    const auto before = a.sync_state();
    const std::string digest = a.state_digest();
    try {
        kim::client::sync(a, {});
        ADD_FAILURE() << "synced with nobody";
    } catch (const kim::client::UnreachableError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("cannot reach the server at " + url), std::string::npos) << what;
        EXPECT_NE(what.find("stay in the outbox"), std::string::npos) << what;
        EXPECT_NE(e.reason().find("refused"), std::string::npos) << e.reason();
    }
    const auto after = a.sync_state();
    EXPECT_EQ(after.outbox, 2u);
    EXPECT_EQ(after.pushed_seq, before.pushed_seq);
    EXPECT_EQ(after.pull_cursor, before.pull_cursor);
    EXPECT_EQ(after.last_success, 0) << "a failed sync is not a successful one";
    EXPECT_EQ(a.state_digest(), digest);

    const auto health = kim::client::check_server(url, {});
    EXPECT_FALSE(health.reachable);
    EXPECT_NE(health.detail.find("refused"), std::string::npos) << health.detail;
}

TEST_F(sync_offline, a_server_given_for_one_sync_does_not_replace_the_setting) {
    a.create_case({{"name", "Amina Haddad"}});
    a.set_server("http://127.0.0.1:" + std::to_string(closed_port()));
    a.acknowledge_pushed(1);
    const auto before = a.sync_state();
    kim::client::SyncOptions options;
    options.server = "http://localhost:" + std::to_string(closed_port());
    options.connect_timeout = std::chrono::milliseconds(2000);
    EXPECT_THROW(kim::client::sync(a, options), kim::client::UnreachableError);
    const auto after = a.sync_state();
    EXPECT_EQ(after.server, before.server);
    // Unreachable: the configured server's cursor and acknowledgements stay.
    EXPECT_EQ(after.state_server, before.state_server);
    EXPECT_EQ(after.pushed_seq, 1u);
}

TEST_F(sync_offline, urls_and_ca_files_are_checked_before_any_connection) {
    kim::client::SyncOptions options;
    options.server = "http://kim.example.org:8080";
    EXPECT_THROW(kim::client::sync(a, options), kim::InputError);
    options.server = "https://127.0.0.1:" + std::to_string(closed_port());
    options.ca_file = (dir / "no-such-ca.pem").string();
    try {
        kim::client::sync(a, options);
        ADD_FAILURE() << "a missing CA file went unnoticed";
    } catch (const kim::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("CA file"), std::string::npos) << e.what();
    }
    const auto health = kim::client::check_server("http://kim.example.org:8080", {});
    EXPECT_FALSE(health.reachable);
    EXPECT_NE(health.detail.find("plain http"), std::string::npos) << health.detail;
}

}  // namespace
