// Loading the audit state, and saving it atomically with mode 0600 (state.hpp).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kim/audit/state.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"
#include "kim/shared/private_file.hpp"

namespace kim::audit {

namespace fs = std::filesystem;

namespace {

// The state grows with the log (a few dozen bytes per record); this bound
// only keeps a wrong path from being read whole.
constexpr std::uintmax_t max_state_bytes = std::uintmax_t{1} << 30;

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
    write_private_file(file, to_json(state).dump(), "the audit state",
                       "the log was verified, but the next run will start from the previous state");
}

}  // namespace kim::audit
