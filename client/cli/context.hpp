// What every `kim` command needs: which replica (--home / KIM_HOME), the
// passphrase (KIM_PASSPHRASE or a prompt without echo), output mode.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "kim/client/replica.hpp"

namespace kim::cli {

struct Context {
    std::string home_option;  // --home
    bool json = false;        // --json on read commands

    std::filesystem::path home() const;
    // Opens the replica, asking for its passphrase when KIM_PASSPHRASE is unset.
    client::Replica open_replica() const;
};

// Reads a passphrase from `env_var`, else from the terminal without echo.
// With `confirm`, a typed passphrase is asked twice (for new secrets).
std::string obtain_passphrase(const char* env_var, const std::string& prompt, bool confirm);
// Where the last passphrase came from, for the hint after a wrong one.
std::string& last_passphrase_source();

}  // namespace kim::cli
