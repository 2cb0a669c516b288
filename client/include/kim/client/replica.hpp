// The replica: one encrypted SQLite file per device of a site, its change log
// and its merged view. The only entry point of the client library.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kim/client/views.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/passphrase_key.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::client {

// field=value pairs as a person typed them.
using FieldInputs = std::vector<std::pair<std::string, std::string>>;

// One case of a batch (Replica::create_cases): its fields as create_case
// takes them and its consents, goals, referrals and contacts as add_record
// takes them, written in this order.
struct NewCase {
    std::string origin;  // where it came from, e.g. "line 12"; starts every error about this case
    FieldInputs fields;
    std::vector<std::pair<std::string, FieldInputs>> records;  // kind, fields
};

struct CreateOptions {
    std::filesystem::path home;
    std::string site;
    std::string replica;
    std::string passphrase;
    KdfParams kdf = KdfParams::interactive();
    // To join an existing site: the key bundle exported by one of its replicas.
    std::optional<nlohmann::json> join_bundle;
    std::string bundle_passphrase;
};

// Identity readable without the passphrase.
struct ReplicaInfo {
    std::string site;
    std::string replica;
    std::string public_key;  // base64 Ed25519
};

// Not thread-safe: use one Replica per thread. Several processes may open the
// same home; SQLite serialises their writes.
class Replica {
public:
    static constexpr const char* database_file = "replica.db";

    // Creates a new replica in `home` (which must not hold one yet).
    static void create(const CreateOptions& options);
    // Opens an existing replica; AuthError on a wrong passphrase, before anything is written.
    // `wall_clock` (milliseconds since 1970) is for tests of clock skew.
    static Replica open(const std::filesystem::path& home, std::string_view passphrase,
                        std::function<std::uint64_t()> wall_clock = system_millis);
    static ReplicaInfo info(const std::filesystem::path& home);

    Replica(Replica&&) noexcept;
    Replica& operator=(Replica&&) noexcept;
    ~Replica();

    const std::string& site() const;
    const std::string& replica_id() const;

    // Writes: each is one signed change, committed with the view in one transaction.
    std::string create_case(const FieldInputs& fields);
    std::string add_record(std::string_view kind, std::string_view case_id, const FieldInputs& fields);
    void set_fields(std::string_view record, const FieldInputs& fields);
    // Many new cases with their records, each record one signed change as
    // create_case and add_record write it, but every case checked first and
    // then all committed in one transaction: all of them or nothing. Returns
    // the case ids in the given order. Errors start with the case's origin.
    std::vector<std::string> create_cases(const std::vector<NewCase>& cases);
    // Writes `value` with every current head of the field as parent.
    void resolve(std::string_view record, std::string_view field, std::string_view value);
    // Marks the record erased (terminal) and destroys its ciphertexts and, for a case, its key.
    void erase(std::string_view record);

    // Retention (GDPR Art. 5(1)(e), Art. 17): closed cases are erased this
    // many years after their closure. Stored per replica; meant to be set
    // alike on every replica of the site. Default when unset.
    static constexpr int default_retention_years = 3;
    static constexpr int max_retention_years = 100;
    int retention_years();
    // InputError outside 0..max_retention_years.
    void set_retention_years(int years);
    // The cases not erased whose shown phase is closed and whose closure (the
    // time of the change that wrote that value) lies at least
    // retention_years() calendar years before `now_millis` (UTC), oldest
    // closure first. Erase them with erase(); nothing is changed here.
    std::vector<RetentionDue> retention_due(std::uint64_t now_millis);

    // A data subject's access request (GDPR Art. 15): everything held about
    // one case, decrypted, as JSON (docs/privacy.md): its fields and
    // conflicts, its records, and every change held for them. An erased case
    // gives only ids and the erasure. NotFoundError for an unknown id,
    // InputError for a record that is not a case.
    nlohmann::json export_case(std::string_view case_id);

    // Reads.
    // Accepts a full record id or a unique prefix of at least 4 characters
    // (as printed by `kim case list`); NotFoundError / InputError otherwise.
    std::string resolve_id(std::string_view id_or_prefix);
    RecordView read(std::string_view record);
    // The record's kind, without decrypting anything; NotFoundError if unknown.
    std::string kind_of(std::string_view record);
    std::vector<RecordView> list(std::string_view kind);
    std::vector<std::string> records_of_case(std::string_view case_id);
    std::vector<Conflict> conflicts();
    ReplicaStatus status();
    // A hash of the merged state: equal on two replicas iff they show the
    // same records, values and conflicts.
    std::string state_digest();

    // Exchange by file.
    nlohmann::json export_changes();
    ImportReport import_changes(const nlohmann::json& bundle);
    nlohmann::json export_site_key(std::string_view bundle_passphrase, const KdfParams& kdf = KdfParams::interactive());

    // Sync with the server: the building blocks of kim::client::sync
    // (kim/client/sync.hpp), public so that tests and benchmarks can drive a
    // server step by step. No network here.
    SyncState sync_state();
    // Stores the server's URL (checked and normalised: parse_server_url) and
    // selects it as below. InputError for a URL kim cannot use.
    void set_server(std::string_view url);
    // Makes the cursor and acknowledgements refer to `url`: unchanged when
    // they already do, started again from zero otherwise (re-pushing and
    // re-pulling is safe, both sides take what they hold as duplicates).
    void select_sync_server(std::string_view url);
    // Starts the cursor and acknowledgements of the selected server from
    // zero: everything is pushed and pulled again (after a server was restored
    // from a backup that lacks changes it had acknowledged).
    void reset_sync_state();
    // An empty path goes back to the system's CA certificates.
    void set_ca_file(std::string_view path);
    // This replica's own changes not acknowledged yet, in seq order, with
    // their ciphertexts: at most `max_changes`, and no more than `max_bytes`
    // of JSON unless the first change alone is larger (it is still returned).
    // As text: a push request is these spliced together, so that a batch is
    // never held as JSON trees (their memory is many times the text's).
    struct OutgoingChange {
        std::uint64_t seq = 0;
        std::string envelope;  // the change as JSON, ciphertexts included
    };
    // `after`: start after this seq instead of after the acknowledged ones
    // (the next batch, read while the previous one is being pushed).
    std::vector<OutgoingChange> outbox(std::size_t max_changes, std::size_t max_bytes,
                                       std::optional<std::uint64_t> after = std::nullopt);
    // Records that the server stores this replica's changes up to `seq`.
    // Never goes backwards; InputError beyond the last change written here.
    void acknowledge_pushed(std::uint64_t seq);
    // Verifies the page (introductions by the site key, every change as an
    // import does) and applies it together with its cursor `next`, in one
    // transaction: all of the page and its cursor, or nothing.
    ImportReport apply_pulled(const protocol::PullResponse& page);
    // Records the end of a complete sync (`when`: seconds since 1970).
    void record_sync_success(std::int64_t when);
    // This replica's introduction {replica, public_key, mac}: its key vouched
    // for by the site key, for the server to relay to the site's replicas.
    nlohmann::json introduction();
    // Signs a protocol::auth_message with the replica's key. InputError for
    // anything else: the key signs changes, and nothing may pass for one.
    crypto::Signature sign_auth(std::string_view message);

    // Opaque; named here so that the implementation files can share helpers.
    struct Impl;

private:
    explicit Replica(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kim::client
