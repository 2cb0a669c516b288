// A temporary folder removed at the end of a test (on tmpfs when available,
// so that the many fsyncs of the property tests cost nothing).
#pragma once

#include <filesystem>
#include <string>

namespace kim::test {

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "kimtest");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Every regular file under `dir`, read whole.
std::string read_file(const std::filesystem::path& file);
// BLAKE2b of every file under `dir` (name and content), to prove nothing changed.
std::string digest_of_folder(const std::filesystem::path& dir);

}  // namespace kim::test
