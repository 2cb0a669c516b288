// The real `kim-server` process on an ephemeral loopback port, for the
// integration tests: a fresh data folder, enrolment through the real
// command line, `serve --listen 127.0.0.1:0`, and the port read from the
// line the server prints once it listens.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace kim::test {

class ServerProcess {
public:
    // Runs `kim-server --data DIR init` when the folder holds no store yet.
    // When the run tests the PostgreSQL store (test_postgres.hpp), the store
    // is a fresh database instead, named in DIR/postgres-uri so that a server
    // started again on DIR finds it.
    ServerProcess(std::filesystem::path server_binary, std::filesystem::path data_dir);
    ~ServerProcess();  // stops the server (SIGTERM, then SIGKILL after 10 s)
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // A `kim-server --data DIR ARGS...` admin command; throws with its output
    // when it fails (use admin_result to look at a failure).
    std::string admin(const std::vector<std::string>& args, const std::string& stdin_text = "") const;
    ProcessResult admin_result(const std::vector<std::string>& args, const std::string& stdin_text = "") const;
    void enrol_replica(const std::string& id, const std::string& site, const std::string& public_key_base64) const;

    // Starts `serve --listen LISTEN EXTRA...` and waits until it listens on
    // 127.0.0.1; throws with the server's words when it exits instead.
    void start(const std::vector<std::string>& extra_args = {}, const std::string& listen = "127.0.0.1:0");
    // SIGTERM and wait; returns the exit code (128+signal when killed).
    int stop();
    // SIGKILL: no clean shutdown, as in a power cut.
    void kill_hard();
    bool running() const { return pid_ > 0; }

    int port() const { return port_; }
    std::string url() const;
    pid_t pid() const { return pid_; }
    const std::filesystem::path& data_dir() const { return data_dir_; }
    // The PostgreSQL database's URI, when the store is one; else empty.
    const std::string& postgres_uri() const { return postgres_uri_; }
    // What the server wrote to stderr so far (its request log), for failure messages.
    std::string log() const;

private:
    int wait_for_exit(int timeout_ms);

    std::filesystem::path binary_;
    std::filesystem::path data_dir_;
    std::string postgres_uri_;
    std::vector<std::string> store_args_;  // --data DIR, or --store URI
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    int port_ = 0;
    std::string scheme_ = "http";
};

}  // namespace kim::test
