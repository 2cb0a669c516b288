// Owner-only, atomic file writes (kim/shared/private_file.hpp).
#include "kim/shared/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "kim/shared/errors.hpp"

namespace kim {

namespace fs = std::filesystem;

void write_private_file(const fs::path& file, std::string_view text, std::string_view what, std::string_view advice) {
    auto fail = [&](const std::string& why) -> Error {
        std::string m = "cannot write ";
        if (!what.empty()) m.append(what).append(" ");
        return Error(m + file.string() + ": " + why + "; " + std::string(advice));
    };
    fs::path tmp = file;
    tmp += ".partial-" + std::to_string(::getpid());
    // A leftover (or planted) temporary must not lend the new file its
    // permissions or, as a symbolic link, send the text elsewhere.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) throw fail("the leftover " + tmp.string() + " cannot be removed");
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw fail(std::strerror(errno));
    auto abandon = [&](const std::string& why) -> Error {
        ::close(fd);
        ::unlink(tmp.c_str());
        return fail(why);
    };
    if (::fchmod(fd, 0600) != 0) throw abandon(std::strerror(errno));  // the umask may only remove bits; be explicit
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw abandon(std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) throw abandon(std::strerror(errno));
    ::close(fd);
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw fail(std::strerror(err));
    }
    // The rename itself is durable once the folder is flushed.
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace kim
