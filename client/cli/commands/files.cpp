// Files that `kim` writes (key bundles, change files): private and atomic.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/private_file.hpp"

namespace kim::cli {

void write_private_file(const std::string& file, const std::string& text) {
    kim::write_private_file(file, text, "", "check the folder exists and is writable");
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
