// What the benchmarks share: a realistic stream of case edits, replicas made
// without the passphrase cost, a process's peak memory and the median.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <stdexcept>
#include <vector>

#include "kim/client/replica.hpp"

namespace kim::bench {

// Peak resident memory of a running process (VmHWM), in MiB.
double peak_mib(pid_t pid);

// CPU time (user + system) a running process has used so far, in seconds.
double cpu_seconds(pid_t pid);

// Options for a replica of site "hamborn" with the minimal key derivation
// cost (key derivation is not what is measured).
client::CreateOptions create_options(const std::filesystem::path& home, const std::string& replica);
inline constexpr const char* bench_passphrase = "benchmark passphrase";

// The twelve fields of a synthetic intake (no real person), named `name`.
client::FieldInputs intake_fields(const std::string& name);

// `changes` edits: one case in ten is new (twelve fields, as an intake),
// followed by its consent to processing; the others edit one to three fields
// of an existing case, as the days after an intake.
void write_edits(client::Replica& r, int changes);

double median(std::vector<double> v);

// What a benchmark run is told: --changes N --runs R --dir DIR [--server PATH].
struct RunOptions {
    int changes = 10'000;
    int runs = 5;
    std::filesystem::path dir = "/var/tmp";
    std::filesystem::path server;  // the kim-server binary
};
// Starts from `defaults`; std::invalid_argument naming `source` (where the
// usage is described) for anything else.
RunOptions parse_run_options(int argc, char** argv, RunOptions defaults, const std::string& source);

}  // namespace kim::bench
