// The auditor's verification of the server's log, without the network: feed
// it the enrolled keys, the checkpoints, then the log page by page, and it
// checks every signature, every origin's chain, the server's chain, every
// checkpoint and every purge, and collects the consent findings
// (docs/audit.md lists each check). kim-audit drives it over HTTP
// (verify_server.hpp); tests and benchmarks drive it in-process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "kim/audit/report.hpp"
#include "kim/audit/state.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/checkpoint.hpp"

namespace kim::audit {

struct VerifierOptions {
    // Threads that parse, hash and check the signatures of a page (the
    // calling thread is one of them). 0: one per core, at most 4.
    unsigned threads = 0;
    // With a state: go on from where it stopped (true), or verify the whole
    // log again and only compare with it (false, `verify --full`).
    bool incremental = true;
};

class Verifier {
public:
    // `previous`: the state of an earlier run, if any. InputError when the
    // server key in `keys` is not base64 of 32 bytes.
    Verifier(const protocol::AuditKeys& keys, std::optional<AuditState> previous, VerifierOptions options = {});
    ~Verifier();
    Verifier(const Verifier&) = delete;
    Verifier& operator=(const Verifier&) = delete;

    // The server seq to fetch the log after (`since`): 0 for a full run,
    // else one before the last verified change, which is read again to
    // check that the log still holds it.
    std::uint64_t start_after() const;

    // The server's checkpoints, before the log: each is checked when the log
    // reaches its seq (or at once, when it lies in what an earlier run verified).
    void add_checkpoints(const std::vector<Checkpoint>& checkpoints);
    // The next entries of the log, in order.
    void add_entries(const std::vector<protocol::AuditLogEntry>& entries);
    // The end of the log: `last_seq` is the length the server reported.
    // Checks what needs the whole log (purges, checkpoints beyond it,
    // consent) and returns the report.
    Report finish(std::uint64_t last_seq);

    // After finish(): what the next run continues from. Save it only when
    // the report is ok.
    const AuditState& state() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// The chain step of the server's log: chain[n] = BLAKE2b(chain[n-1] || hash(change n)).
Hash32 chain_step(const Hash32& previous, const Hash32& change_hash);

}  // namespace kim::audit
