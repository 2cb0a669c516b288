// `kim-audit verify` as a library call: sign in as the auditor, fetch a
// fresh checkpoint, the checkpoints, the keys and the whole log (ciphertexts
// included), verify it (verifier.hpp), and keep the state for the next run.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "kim/audit/key_file.hpp"
#include "kim/audit/report.hpp"

namespace kim::audit {

struct VerifyProgress {
    std::uint64_t verified = 0;  // entries verified in this run so far
    std::uint64_t last_seq = 0;  // the log's length, as the server last said
};

struct VerifyOptions {
    std::string server{};    // URL (https://…, or http:// on loopback)
    std::string ca_file{};   // extra trusted CA certificates (PEM); empty: the system's
    std::optional<std::filesystem::path> state_file{};
    bool full = false;       // with a state: verify the whole log again
    unsigned threads = 0;    // see VerifierOptions
    std::size_t page_limit = 0;  // entries per page; 0: the protocol's maximum
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{120'000};
    std::function<void(const VerifyProgress&)> progress{};
    // Called with the report once the log is verified, before the state is
    // saved: printed there, the report survives a state that cannot be saved.
    std::function<void(const Report&)> on_report{};
};

// Throws kim::Error for what keeps the verification from running (network,
// the server refusing the auditor, a bad state file): StateError when the
// server does not accept the key, InputError for a bad URL or state file.
// Integrity failures are not thrown: they are in the report, and the state
// is saved only when there are none. The state's folder is checked before
// any request (InputError when it cannot be written); a failure to save it
// afterwards is a kim::Error thrown after `on_report` had the report.
Report verify_server(const AuditorKey& key, const VerifyOptions& options);

}  // namespace kim::audit
