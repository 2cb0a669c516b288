// The floor of the machine for replication (issue 7): what any system that
// stores every change in SQLite and checks every change's signature cannot
// go beyond, measured on the same records as the replication benchmark.
#pragma once

#include <filesystem>
#include <vector>

#include "kim/client/replica.hpp"

namespace kim::bench {

struct Floor {
    double sqlite_inserts_per_s = 0;  // encrypted records into a fresh file, one transaction, fsync at commit
    double verify_per_s_core = 0;     // Ed25519 verifications on one thread
    double verify_per_s_machine = 0;  // on every core
    unsigned cores = 0;
};

// Medians over `runs`; the payloads are the records' fields as JSON, sealed
// with XChaCha20-Poly1305 (as a change carries them) and signed (not timed).
Floor measure_floor(const std::vector<client::FieldInputs>& records, const std::filesystem::path& dir, int runs);

}  // namespace kim::bench
