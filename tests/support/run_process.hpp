// Runs a real program (the `kim` binary) and captures its output and exit code.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kim::test {

struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `argv` with the given extra environment and standard input; waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::string& stdin_text = "");

}  // namespace kim::test
