// Parsing JSON that comes from outside (files, requests): bounded nesting and
// error messages that never quote the input (it may hold personal data).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kim {

// Deep enough for every document kimsync writes (they nest 4 levels), shallow
// enough that copying or printing a parsed value can never exhaust the stack.
inline constexpr int max_json_depth = 32;

// Throws InputError naming `what` (e.g. "the change file x.json") and the
// byte offset of the problem, or that it nests too deeply.
nlohmann::json parse_untrusted_json(std::string_view text, std::string_view what, int max_depth = max_json_depth);

}  // namespace kim
