// What the replica shows: records with their current values and conflicts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kim::client {

// One head of a (record, field): a value that no other known write supersedes.
struct HeadValue {
    std::string value;      // decrypted text or clear category; empty when not readable
    bool readable = true;   // false when the ciphertext was purged or the case key is missing
    std::string unreadable_reason;
    std::string change;     // id of the change that wrote it, "origin:seq"
    std::uint64_t hlc = 0;
};

struct FieldView {
    std::string name;
    bool confidential = false;
    HeadValue shown;                  // the head with the greatest (hlc, origin)
    std::vector<HeadValue> conflicting;  // the other heads; empty when there is no conflict
};

struct RecordView {
    std::string id;
    std::string kind;
    std::string case_id;  // for records that belong to a case
    bool erased = false;
    std::vector<FieldView> fields;  // in catalogue order; only fields ever written

    const FieldView* field(std::string_view name) const {
        for (const auto& f : fields) {
            if (f.name == name) return &f;
        }
        return nullptr;
    }
};

struct Conflict {
    std::string record;
    std::string kind;
    std::string field;
    std::string case_id;           // the case a consent, goal, referral or contact belongs to
    std::vector<HeadValue> heads;  // heads[0] is the one shown
};

struct ImportReport {
    std::size_t received = 0;
    std::size_t applied = 0;
    std::size_t duplicates = 0;
    std::size_t waiting = 0;       // held until their origin's earlier changes arrive
    std::size_t introduced = 0;    // replicas newly known
    std::size_t unvouched = 0;     // pulled changes skipped: their origin has no introduction vouched for by the site key
    std::vector<std::string> notes;
    std::vector<std::string> warnings;  // what someone must act on (`kim sync` prints them as warnings)
};

struct ReplicaStatus {
    std::string site;
    std::string replica;
    std::string public_key;
    std::uint64_t own_changes = 0;
    std::uint64_t all_changes = 0;
    std::uint64_t waiting_changes = 0;
    std::uint64_t cases = 0;        // not erased (closed ones included)
    std::uint64_t open_cases = 0;   // phase other than closed
    std::uint64_t conflicts = 0;
    std::vector<std::string> peers;
    int retention_years = 0;        // closed cases are erased this many years after closure
};

// A closed case whose retention period is over (`kim retention run`).
struct RetentionDue {
    std::string case_id;
    std::string closed_by;          // id of the change that set phase to closed
    std::uint64_t closed_millis = 0;  // its time (the wall-clock part of its hlc)
    bool phase_in_conflict = false;   // closed is the shown value of a conflict on phase
};

// Where this replica stands with the server (readable without the network).
struct SyncState {
    std::string server;        // configured URL (normalised); empty when none
    std::string ca_file;       // extra CA certificate file; empty for the system's
    std::string state_server;  // the server the cursor and acknowledgements below refer to
    std::uint64_t pull_cursor = 0;   // server seq up to which the site's changes are applied here
    std::uint64_t pushed_seq = 0;    // own changes up to this seq are stored on the server
    std::uint64_t outbox = 0;        // own changes not acknowledged yet
    std::int64_t last_success = 0;   // seconds since 1970 of the last complete sync; 0 = never
};

}  // namespace kim::client
