// fork/exec of kim-server with its stdout on a pipe (for the listening line)
// and its stderr in a log file beside the data folder.
#include "server_process.hpp"
#include "test_postgres.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kim::test {

namespace fs = std::filesystem;

ServerProcess::ServerProcess(fs::path server_binary, fs::path data_dir)
    : binary_(std::move(server_binary)), data_dir_(std::move(data_dir)) {
    log_file_ = data_dir_.parent_path() / (data_dir_.filename().string() + ".log");
    if (!on_postgres()) {
        store_args_ = {"--data", data_dir_.string()};
        if (!fs::exists(data_dir_ / "server.db")) admin({"init"});
        return;
    }
    // The database stands for the folder: a server started again on the
    // same folder (a restart, a crash test) finds the same store.
    const fs::path uri_file = data_dir_ / "postgres-uri";
    if (fs::exists(uri_file)) {
        std::ifstream in(uri_file);
        std::getline(in, postgres_uri_);
        store_args_ = {"--store", postgres_uri_};
        return;
    }
    postgres_uri_ = fresh_postgres_database();
    store_args_ = {"--store", postgres_uri_};
    fs::create_directories(data_dir_);
    std::ofstream(uri_file) << postgres_uri_ << "\n";
    admin({"init"});
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) stop();
}

ProcessResult ServerProcess::admin_result(const std::vector<std::string>& args, const std::string& stdin_text) const {
    std::vector<std::string> argv{binary_.string()};
    argv.insert(argv.end(), store_args_.begin(), store_args_.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {}, stdin_text);
}

std::string ServerProcess::admin(const std::vector<std::string>& args, const std::string& stdin_text) const {
    const ProcessResult r = admin_result(args, stdin_text);
    if (r.exit_code != 0) {
        std::string cmd = "kim-server";
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error(cmd + " failed with exit " + std::to_string(r.exit_code) + ": " + r.err + r.out);
    }
    return r.out;
}

void ServerProcess::enrol_replica(const std::string& id, const std::string& site, const std::string& public_key_base64) const {
    admin({"replica", "add", id, "--site", site, "--pubkey", public_key_base64});
}

void ServerProcess::start(const std::vector<std::string>& extra_args, const std::string& listen) {
    if (pid_ > 0) throw std::logic_error("the server is already running");
    std::signal(SIGPIPE, SIG_IGN);
    int out[2];
    if (pipe(out)) throw std::runtime_error("pipe failed");
    const int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log_fd < 0) throw std::runtime_error("cannot open the server log " + log_file_.string());
    std::vector<std::string> argv{binary_.string()};
    argv.insert(argv.end(), store_args_.begin(), store_args_.end());
    argv.insert(argv.end(), {"serve", "--listen", listen});
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(log_fd, 2);
        close(out[0]);
        close(out[1]);
        close(log_fd);
        setsid();
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    close(log_fd);
    pid_ = pid;

    // Read stdout until the listening line (or the server exits, or 20 s pass).
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const std::regex listening(R"(listening on (https?)://127\.0\.0\.1:(\d+))");
    std::smatch m;
    while (!std::regex_search(seen, m, listening)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd pfd{out[0], POLLIN, 0};
        if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            close(out[0]);
            kill_hard();
            throw std::runtime_error("kim-server did not report listening within 20 s; stdout: " + seen + "; log: " + log());
        }
        char buf[4096];
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) {
            close(out[0]);
            const int code = wait_for_exit(5000);
            throw std::runtime_error("kim-server exited (" + std::to_string(code) + ") before listening; stdout: " + seen +
                                     "; log: " + log());
        }
        seen.append(buf, static_cast<std::size_t>(n));
    }
    // Kept open until the server ends, so that what it prints later (e.g.
    // "stopped") never meets a closed pipe.
    stdout_fd_ = out[0];
    scheme_ = m[1].str();
    port_ = std::stoi(m[2].str());
}

int ServerProcess::wait_for_exit(int timeout_ms) {
    for (int waited = 0;; waited += 10) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            if (stdout_fd_ >= 0) close(stdout_fd_);
            stdout_fd_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (waited >= timeout_ms) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

int ServerProcess::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int code = wait_for_exit(10'000);
    if (code == -1) {
        ::kill(pid_, SIGKILL);
        code = wait_for_exit(10'000);
    }
    return code;
}

void ServerProcess::kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_for_exit(10'000);
}

std::string ServerProcess::url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::log() const {
    std::ifstream in(log_file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace kim::test
