// Files that `kim` writes (key bundles, change files): private and atomic.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "kim/shared/errors.hpp"

namespace kim::cli {

void write_private_file(const std::string& file, const std::string& text) {
    const std::string tmp = file + ".partial";
    // A leftover (or planted) .partial must not lend the new file its
    // permissions or, as a symbolic link, send the text elsewhere.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) {
        throw Error("cannot replace the leftover " + tmp + ": " + std::strerror(errno) + "; remove it and try again");
    }
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("cannot write " + file + ": " + std::strerror(errno) + "; check the folder exists and is writable");
    if (::fchmod(fd, 0600) != 0) {  // the umask may only remove bits, but be explicit
        ::close(fd);
        std::remove(tmp.c_str());
        throw Error("cannot make " + file + " private: " + std::strerror(errno));
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            std::remove(tmp.c_str());
            throw Error("writing " + file + " failed: " + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || std::rename(tmp.c_str(), file.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error("could not finish writing " + file);
    }
}

std::string read_text_file(const std::string& file, std::size_t max_bytes) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw InputError(file + " is a folder; give the file inside it");
    if (!std::filesystem::is_regular_file(file, ec)) throw NotFoundError("no file " + file + "; check the path");
    if (std::filesystem::file_size(file, ec) == 0) throw InputError(file + " is empty; was the copy interrupted?");
    if (std::filesystem::file_size(file, ec) > max_bytes) {
        throw InputError(file + " is larger than " + std::to_string(max_bytes) + " bytes; refusing to read it");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("cannot read " + file);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace kim::cli
