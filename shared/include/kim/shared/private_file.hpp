// Writing a file that holds secrets or personal data (key bundles, change
// files, a case export, the auditor's state): owner-only and atomic.
#pragma once

#include <filesystem>
#include <string_view>

namespace kim {

// Writes `text` to `file` through a temporary beside it (created fresh with
// mode 0600, never through a link or a leftover's permissions), fsyncs it,
// renames it over `file` and fsyncs the folder: readers see the old file or
// the whole new one. kim::Error on failure, saying "cannot write <what>
// <file>: <why>; <advice>" (`what` may be empty); nothing is left behind.
void write_private_file(const std::filesystem::path& file, std::string_view text, std::string_view what,
                        std::string_view advice);

}  // namespace kim
