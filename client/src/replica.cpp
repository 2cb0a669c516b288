// Creating and opening replicas, status, digest and exchange by file.
#include <sys/stat.h>

#include <algorithm>

#include "exchange/change_file.hpp"
#include "exchange/importer.hpp"
#include "replica_impl.hpp"
#include "store/meta.hpp"
#include "store/migrations.hpp"
#include "kim/sqlite/wal.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

namespace fs = std::filesystem;

fs::path database_path(const fs::path& home) { return home / Replica::database_file; }

namespace {

void configure(sqlite::Database& db) {
    // WAL keeps readers and the writer apart; FULL syncs every commit, so an
    // acknowledged edit survives a power cut.
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA secure_delete = ON");  // erased ciphertexts are overwritten, not just unlinked
    // The -wal is cut to nothing whenever it starts over: no page image from
    // before an erasure lingers at its end (see kim/sqlite/wal.hpp).
    db.exec("PRAGMA journal_size_limit = 0");
    // A page of pulled changes touches more pages than SQLite's default
    // cache (2 MiB) holds, which then spills them into the -wal mid-way and
    // writes many twice; 8 MiB holds a page of 1,000 changes.
    db.exec("PRAGMA cache_size = -8192");
}

}  // namespace

std::unique_ptr<sqlite::Database> open_existing_database(const fs::path& home) {
    const fs::path file = database_path(home);
    if (!fs::exists(file)) {
        throw NotFoundError("no replica in " + home.string() +
                            ": create one with `kim init --site SITE --replica ID` or choose another with --home / KIM_HOME");
    }
    auto db = std::make_unique<sqlite::Database>(file, sqlite::Database::Mode::read_write);
    const auto version = db->user_version();
    if (version > latest_schema_version()) migrate(*db);  // throws the "newer kimsync" error
    return db;
}

void Replica::create(const CreateOptions& o) {
    crypto::init();
    if (!is_valid_name(o.site)) throw InputError("site name '" + o.site + "' is not valid: use a-z, 0-9 and '-' (e.g. hamborn)");
    if (!is_valid_name(o.replica)) {
        throw InputError("replica id '" + o.replica + "' is not valid: use a-z, 0-9 and '-' (e.g. hamborn-a)");
    }
    if (o.passphrase.size() < 8) throw InputError("the passphrase must have at least 8 characters");
    const fs::path file = database_path(o.home);
    if (fs::exists(file)) {
        throw StateError("there is already a replica in " + o.home.string() + "; choose another folder with --home");
    }
    KeyRing keys;
    if (o.join_bundle) {
        for (const auto& used : known_replicas_of_bundle(*o.join_bundle)) {
            if (used == o.replica) {
                throw InputError("replica id '" + o.replica + "' is already used in site '" + o.site +
                                 "'; every device needs its own id, e.g. " + o.site + "-c");
            }
        }
        keys.site_key = open_site_key_bundle(*o.join_bundle, o.site, o.bundle_passphrase);
    } else {
        keys.site_key = crypto::random_key();
    }
    auto pair = crypto::generate_signing_key();
    keys.signing_key = pair.secret_key;
    keys.public_key = pair.public_key;

    fs::create_directories(o.home);
    ::chmod(o.home.c_str(), 0700);  // the folder holds a person's case files: owner only
    // Build in a temporary file and rename, so that a failed init leaves nothing half-made.
    const fs::path tmp = o.home / "replica.db.creating";
    fs::remove(tmp);
    {
        sqlite::Database db(tmp, sqlite::Database::Mode::read_write_create);
        db.exec("PRAGMA journal_mode = DELETE");
        migrate(db);
        sqlite::Transaction tx(db);
        meta::put(db, meta::format, meta::format_value);
        meta::put(db, meta::site, o.site);
        meta::put(db, meta::replica, o.replica);
        meta::put(db, meta::public_key, base64_encode(keys.public_key));
        meta::put(db, meta::sealed_keys, seal_key_ring(keys, o.replica, o.passphrase, o.kdf).dump());
        meta::put(db, meta::last_hlc, "0");
        ChangeLog log(db);
        log.add_peer({o.replica, keys.public_key, introduction_mac(keys.site_key, o.site, o.replica, keys.public_key)});
        tx.commit();
    }
    ::chmod(tmp.c_str(), 0600);
    fs::rename(tmp, file);
    {
        sqlite::Database db(file, sqlite::Database::Mode::read_write);
        configure(db);
    }
}

ReplicaInfo Replica::info(const fs::path& home) {
    auto db = open_existing_database(home);
    if (meta::get(*db, meta::format) != std::string(meta::format_value)) {
        throw InputError(database_path(home).string() + " is not a kim replica");
    }
    return {meta::require(*db, meta::site), meta::require(*db, meta::replica), meta::require(*db, meta::public_key)};
}

Replica Replica::open(const fs::path& home, std::string_view passphrase, std::function<std::uint64_t()> wall_clock) {
    crypto::init();
    auto db = open_existing_database(home);
    if (meta::get(*db, meta::format) != std::string(meta::format_value)) {
        throw InputError(database_path(home).string() + " is not a kim replica");
    }
    const std::string site = meta::require(*db, meta::site);
    const std::string replica = meta::require(*db, meta::replica);
    nlohmann::json sealed;
    try {
        sealed = nlohmann::json::parse(meta::require(*db, meta::sealed_keys));
    } catch (const nlohmann::json::exception&) {
        throw IntegrityError("the replica's sealed keys are damaged; restore the replica from a backup");
    }
    // The passphrase is checked before anything is written (migrations included).
    KeyRing keys = open_key_ring(sealed, replica, passphrase);
    migrate(*db);
    configure(*db);
    std::uint64_t last_hlc = 0;
    try {
        last_hlc = std::stoull(meta::get(*db, meta::last_hlc).value_or("0"));
    } catch (const std::exception&) {
        throw IntegrityError("the replica's clock entry is damaged; restore the replica from a backup");
    }
    return Replica(std::make_unique<Impl>(home, std::move(db), std::move(keys), site, replica, last_hlc, std::move(wall_clock)));
}

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replica::Replica(Replica&&) noexcept = default;
Replica& Replica::operator=(Replica&&) noexcept = default;
Replica::~Replica() = default;

const std::string& Replica::site() const { return impl_->site; }
const std::string& Replica::replica_id() const { return impl_->replica; }

ReplicaStatus Replica::status() {
    ReplicaStatus s;
    s.site = impl_->site;
    s.replica = impl_->replica;
    s.public_key = base64_encode(impl_->keys.public_key);
    s.own_changes = impl_->log.count_of(impl_->replica);
    s.all_changes = impl_->log.count();
    s.waiting_changes = impl_->log.pending_count();
    sqlite::Statement cases(*impl_->db,
                            "SELECT COUNT(*), COALESCE(SUM(NOT EXISTS (SELECT 1 FROM field_ops f WHERE f.record = r.record "
                            "AND f.field = 'phase' AND f.is_head = 1 AND f.value = '\"closed\"')), 0) "
                            "FROM records r WHERE r.kind = 'case' AND r.erased = 0");
    cases.step();
    s.cases = static_cast<std::uint64_t>(cases.integer(0));
    s.open_cases = static_cast<std::uint64_t>(cases.integer(1));
    s.conflicts = conflicts().size();
    for (const auto& p : impl_->log.peers()) s.peers.push_back(p.replica);
    s.retention_years = retention_years();
    return s;
}

std::string Replica::state_digest() {
    // One line per record (or per field head); hashed in a fixed order, so
    // two replicas with the same changes produce the same digest.
    auto& db = *impl_->db;
    std::string lines;
    sqlite::Statement recs(db, "SELECT record, kind FROM records ORDER BY record");
    sqlite::Statement ops(db,
                          "SELECT field, change_id, COALESCE(value, ''), ct_hash FROM field_ops "
                          "WHERE record = ? AND is_head = 1 ORDER BY field, change_id");
    while (recs.step()) {
        const std::string record = recs.text(0);
        lines += record + " " + recs.text(1);
        if (impl_->merge.effectively_erased(record)) {
            lines += " erased\n";
            continue;
        }
        lines += "\n";
        ops.bind(1, record);
        while (ops.step()) {
            lines += "  " + ops.text(0) + " " + ops.text(1) + " " + ops.text(2) + " " + base64_encode(ops.blob(3)) + "\n";
        }
        ops.reset();
    }
    return base64_encode(crypto::blake2b256(as_bytes(lines)));
}

nlohmann::json Replica::export_changes() {
    ChangeFile file;
    file.site = impl_->site;
    file.exported_by = impl_->replica;
    file.introductions = impl_->log.peers();
    impl_->log.for_each([&](const Change& c) { file.changes.push_back(change_to_json(c)); });
    // Changes waiting for a gap travel on too: this replica may be the only
    // path between their origin and the replica that closes the gap.
    impl_->log.for_each_pending([&](const Change& c) { file.changes.push_back(change_to_json(c)); });
    return change_file_to_json(std::move(file));
}

ImportReport Replica::import_changes(const nlohmann::json& bundle) {
    const ChangeFile file = change_file_from_json(bundle);
    if (file.site != impl_->site) {
        throw InputError("this change file is from site '" + file.site + "'; this replica belongs to '" + impl_->site +
                         "'. Changes never cross sites");
    }
    std::vector<Change> changes;
    changes.reserve(file.envelopes().size());
    for (const auto& j : file.envelopes()) changes.push_back(change_from_json(j));
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
        return std::tie(a.origin, a.seq) < std::tie(b.origin, b.seq);
    });

    ImportReport report;
    impl_->merge.take_erasure_flag();  // only what this import erases counts below
    sqlite::Transaction tx(*impl_->db);  // all of the file or none of it
    Importer importer(impl_->log, impl_->merge, impl_->catalogue, impl_->keys.site_key, impl_->site, impl_->clock);
    for (const auto& peer : file.introductions) report.introduced += importer.introduce(peer, report) ? 1 : 0;
    const auto prepared = importer.prepare(changes);
    for (std::size_t i = 0; i < changes.size(); ++i) importer.ingest(changes[i], prepared[i], report);
    report.waiting = impl_->log.pending_count();
    if (report.waiting > 0 && impl_->merge.any_erased()) impl_->merge.purge_held_of_erased();
    meta::put(*impl_->db, meta::last_hlc, std::to_string(impl_->clock.last()));
    tx.commit();
    impl_->reader.forget_all();
    if (impl_->merge.take_erasure_flag()) sqlite::truncate_wal(*impl_->db);
    return report;
}

nlohmann::json Replica::export_site_key(std::string_view bundle_passphrase, const KdfParams& kdf) {
    if (bundle_passphrase.size() < 8) throw InputError("the key bundle's passphrase must have at least 8 characters");
    std::vector<std::string> known;
    for (const auto& p : impl_->log.peers()) known.push_back(p.replica);
    return seal_site_key_bundle(impl_->keys.site_key, impl_->site, bundle_passphrase, kdf, known);
}

}  // namespace kim::client
