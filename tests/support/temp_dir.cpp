// Temporary folders and file helpers for tests.
#include "temp_dir.hpp"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "kim/shared/base64.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::test {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string digest_of_folder(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::string all;
    for (const auto& f : files) {
        const std::string content = read_file(f);
        all += fs::relative(f, dir).string() + ":" + base64_encode(crypto::blake2b256(as_bytes(content))) + "\n";
    }
    return all;
}

}  // namespace kim::test
