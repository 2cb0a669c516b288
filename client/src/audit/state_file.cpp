// Loading the audit state, and saving it atomically with mode 0600 (state.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kim/audit/state.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::audit {

namespace fs = std::filesystem;

namespace {

// The state grows with the log (a few dozen bytes per record); this bound
// only keeps a wrong path from being read whole.
constexpr std::uintmax_t max_state_bytes = std::uintmax_t{1} << 30;

[[noreturn]] void cannot_write(const fs::path& file, const std::string& why) {
    throw Error("cannot write the audit state " + file.string() + ": " + why +
                "; the log was verified, but the next run will start from the previous state");
}

void write_all(int fd, const std::string& bytes, const fs::path& file) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) cannot_write(file, std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

std::optional<AuditState> load_state(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    const auto size = fs::file_size(file, ec);
    if (ec) throw InputError("cannot read the audit state " + file.string() + ": " + ec.message());
    if (size > max_state_bytes) throw InputError("the audit state " + file.string() + " is too large to be one");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError("cannot read the audit state " + file.string() + "; check its permissions");
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return audit_state_from_json(parse_untrusted_json(text.str(), "the audit state " + file.string()));
    } catch (const InputError& e) {
        throw InputError(std::string(e.what()) + " (" + file.string() +
                         "); if it is damaged, move it away: the next run verifies the whole log again");
    } catch (const nlohmann::json::exception&) {
        // A value of an unexpected type the checks above missed: still the file's fault.
        throw InputError("the audit state " + file.string() +
                         " holds a value of the wrong type; if it is damaged, move it away: the next run verifies "
                         "the whole log again");
    }
}

void check_state_writable(const fs::path& file) {
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw InputError("cannot keep the audit state " + file.string() + ": its folder " + dir.string() +
                         " does not exist; create it first");
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw InputError("cannot keep the audit state " + file.string() + ": its folder " + dir.string() +
                         " is not writable (" + std::strerror(errno) + "); choose another --state or fix the folder");
    }
}

void save_state(const fs::path& file, const AuditState& state) {
    const std::string bytes = to_json(state).dump();
    fs::path tmp = file;
    tmp += ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) cannot_write(file, std::strerror(errno));
    try {
        ::fchmod(fd, 0600);  // O_TRUNC kept the mode of a leftover temporary file
        write_all(fd, bytes, file);
        if (::fsync(fd) != 0) cannot_write(file, std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        cannot_write(file, std::strerror(err));
    }
    // The rename itself is durable once the folder is flushed.
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace kim::audit
