// A server's log built in-process from real replicas, as kim-server would
// hold it: server seqs, receipt times, the running chain, checkpoints signed
// with a test server key, and the enrolled keys. Tests then tamper with it
// and feed it to the verifier.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/audit/verifier.hpp"
#include "kim/client/replica.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/checkpoint.hpp"

namespace kim::test {

// A time well inside every test replica's enrolment.
inline constexpr std::int64_t received_time = 1'800'000'000;
inline constexpr std::int64_t enrolled_time = received_time - 3600;

struct AuditLog {
    crypto::SigningKeyPair server_key = crypto::generate_signing_key();
    protocol::AuditKeys keys;
    std::vector<protocol::AuditLogEntry> entries;
    std::vector<Checkpoint> checkpoints;
    std::set<std::string> ids;  // origin:seq of every change appended

    AuditLog();

    // Enrols the replica's key for its site (enrolled_time unless given).
    void enrol(const std::string& id, const std::string& site, const crypto::PublicKey& key,
               std::int64_t enrolled_at = enrolled_time);
    void enrol(client::Replica& replica);
    // Appends one envelope: the next server seq, the chain step.
    void append(const nlohmann::json& change, std::int64_t received_at = received_time);
    // Appends every change of the replica's export not in the log yet, by (origin, seq).
    void append_new(client::Replica& replica);
    // Signs a checkpoint of the log as it stands.
    void checkpoint(std::int64_t time = received_time);
    // Recomputes every stored chain from the changes, as a server rewriting
    // its history would (so only checkpoints and state can tell).
    void restamp();
    // Renumbers server seqs 1, 2, 3, … (after entries were removed).
    void renumber();

    std::uint64_t length() const { return entries.size(); }
    // The index of the entry holding change `id`; throws when absent.
    std::size_t index_of(const std::string& id) const;
    protocol::AuditLogEntry& entry(const std::string& id) { return entries[index_of(id)]; }
};

struct RunOptions {
    std::optional<audit::AuditState> state{};
    bool incremental = true;
    std::size_t page = 7;  // small pages, so that page borders fall everywhere
    unsigned threads = 2;
};

struct Verified {
    audit::Report report;
    audit::AuditState state;
};

// Feeds the log to a fresh verifier: keys, checkpoints, entries after its start, in pages.
Verified verify(const AuditLog& log, RunOptions options = {});

// The failures of `report` with this fault, for assertions.
std::vector<audit::Failure> failures_of(const audit::Report& report, const std::string& fault);
// "server seq 4, change a:2 [chain]: …" per failure, for test output.
std::string describe(const audit::Report& report);

}  // namespace kim::test

namespace kim::test {

// An origin whose changes the test writes by hand (to make forks, gaps and
// forgeries a replica would never make): new cases with one clear field.
struct RawOrigin {
    std::string id;
    std::string site;
    crypto::SigningKeyPair key = crypto::generate_signing_key();
    std::uint64_t seq = 0;
    Hash32 prev{};

    RawOrigin(std::string origin, std::string site_id) : id(std::move(origin)), site(std::move(site_id)) {}
    // The next change of the origin's chain.
    nlohmann::json next();
    // A change with any seq and prev, signed with `signer` (default: the origin's own key).
    nlohmann::json make(std::uint64_t at_seq, const Hash32& previous, const crypto::SigningSecret* signer = nullptr) const;
};

}  // namespace kim::test
