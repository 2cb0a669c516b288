// Replica location and passphrase entry for the command line.
#include "context.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstdio>

#include "kim/shared/errors.hpp"

namespace kim::cli {

namespace fs = std::filesystem;

std::string& last_passphrase_source() {
    static std::string source;
    return source;
}

fs::path Context::home() const {
    if (!home_option.empty()) return home_option;
    if (const char* env = std::getenv("KIM_HOME"); env && *env) return env;
    if (const char* user_home = std::getenv("HOME"); user_home && *user_home) return fs::path(user_home) / ".kim";
    throw InputError("no replica folder: pass --home DIR or set KIM_HOME");
}

client::Replica Context::open_replica() const {
    const fs::path dir = home();
    client::Replica::info(dir);  // a missing replica is reported before asking for a passphrase
    return client::Replica::open(dir, obtain_passphrase("KIM_PASSPHRASE", "Passphrase for the replica in " + dir.string(), false));
}

namespace {

// Restores the terminal's echo however the prompt ends.
class EchoOff {
public:
    explicit EchoOff(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) == 0) {
            termios quiet = saved_;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~EchoOff() {
        if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
    }

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

std::string prompt_once(int fd, const std::string& prompt) {
    const std::string text = prompt + ": ";
    if (write(fd, text.data(), text.size()) < 0) throw Error("cannot write to the terminal");
    std::string line;
    {
        EchoOff quiet(fd);
        char c;
        while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
    }
    if (write(fd, "\n", 1) < 0) throw Error("cannot write to the terminal");
    return line;
}

}  // namespace

std::string obtain_passphrase(const char* env_var, const std::string& prompt, bool confirm) {
    if (const char* env = std::getenv(env_var); env && *env) {
        last_passphrase_source() = std::string("it was taken from ") + env_var;
        return env;
    }
    last_passphrase_source() = "type it again";
    const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0) {
        throw InputError(std::string("no passphrase: set ") + env_var + " or run kim in a terminal to type it");
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    std::string first = prompt_once(fd, prompt);
    if (first.empty()) throw InputError("no passphrase given; nothing was done");
    if (confirm && first.size() < 8) throw InputError("the passphrase must have at least 8 characters; nothing was created");
    if (confirm) {
        if (prompt_once(fd, "Repeat it") != first) throw InputError("the two passphrases differ; nothing was created");
    }
    return first;
}

}  // namespace kim::cli
