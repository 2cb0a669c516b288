// The Replica's side of sync: settings, the outbox and its acknowledgements,
// applying pulled pages with their cursor, and the replica's credentials.
#include <algorithm>
#include <filesystem>

#include "exchange/importer.hpp"
#include "keys/key_ring.hpp"
#include "replica_impl.hpp"
#include "store/meta.hpp"
#include "kim/sqlite/wal.hpp"
#include "sync/introduction_json.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

namespace fs = std::filesystem;

namespace {

std::uint64_t meta_number(sqlite::Database& db, std::string_view key) {
    const auto text = meta::get(db, key);
    if (!text || text->empty()) return 0;
    try {
        std::size_t used = 0;
        const auto n = std::stoull(*text, &used);
        if (used == text->size()) return n;
    } catch (const std::exception&) {
    }
    throw IntegrityError("the replica's '" + std::string(key) + "' entry is damaged; run `kim config server URL` again to start the sync state anew");
}

// The cursor, acknowledgements and last sync refer to one server.
void reset_sync_state_of(sqlite::Database& db, std::string_view server) {
    meta::put(db, meta::sync_state_server, server);
    meta::put(db, meta::sync_pull_cursor, "0");
    meta::put(db, meta::sync_pushed_seq, "0");
    meta::put(db, meta::sync_last_success, "0");
}

}  // namespace

SyncState Replica::sync_state() {
    auto& db = *impl_->db;
    SyncState s;
    s.server = meta::get(db, meta::sync_server).value_or("");
    s.ca_file = meta::get(db, meta::sync_ca_file).value_or("");
    s.state_server = meta::get(db, meta::sync_state_server).value_or("");
    s.pull_cursor = meta_number(db, meta::sync_pull_cursor);
    s.pushed_seq = meta_number(db, meta::sync_pushed_seq);
    s.last_success = static_cast<std::int64_t>(meta_number(db, meta::sync_last_success));
    const std::uint64_t written = impl_->log.tip(impl_->replica).seq;
    s.outbox = written > s.pushed_seq ? written - s.pushed_seq : 0;
    return s;
}

void Replica::set_server(std::string_view url) {
    const std::string text = parse_server_url(url).text();
    sqlite::Transaction tx(*impl_->db);
    meta::put(*impl_->db, meta::sync_server, text);
    if (meta::get(*impl_->db, meta::sync_state_server).value_or("") != text) reset_sync_state_of(*impl_->db, text);
    tx.commit();
}

void Replica::select_sync_server(std::string_view url) {
    const std::string text = parse_server_url(url).text();
    sqlite::Transaction tx(*impl_->db);
    if (meta::get(*impl_->db, meta::sync_state_server).value_or("") != text) reset_sync_state_of(*impl_->db, text);
    tx.commit();
}

void Replica::reset_sync_state() {
    sqlite::Transaction tx(*impl_->db);
    reset_sync_state_of(*impl_->db, meta::get(*impl_->db, meta::sync_state_server).value_or(""));
    tx.commit();
}

void Replica::set_ca_file(std::string_view path) {
    std::string stored;
    if (!path.empty()) {
        const fs::path file = fs::absolute(fs::path(path));
        if (!fs::is_regular_file(file)) {
            throw InputError("the CA file " + file.string() + " does not exist; give the PEM file of the CA that signed the server's certificate");
        }
        stored = file.string();
    }
    meta::put(*impl_->db, meta::sync_ca_file, stored);
}

std::vector<Replica::OutgoingChange> Replica::outbox(std::size_t max_changes, std::size_t max_bytes,
                                                    std::optional<std::uint64_t> after) {
    auto& db = *impl_->db;
    const std::uint64_t pushed = std::max(meta_number(db, meta::sync_pushed_seq), after.value_or(0));
    const std::uint64_t written = impl_->log.tip(impl_->replica).seq;
    std::vector<OutgoingChange> out;
    std::size_t bytes = 0;
    for (std::uint64_t seq = pushed + 1; seq <= written && out.size() < max_changes; ++seq) {
        auto change = impl_->log.load(impl_->replica, seq);
        if (!change) {
            throw IntegrityError("change " + change_id(impl_->replica, seq) +
                                 " written here is missing from the replica's log; restore the replica from a backup");
        }
        std::string envelope = envelope_text(*change);
        // The first change goes even when it alone exceeds the bound: it
        // cannot be split, and the caller decides what to do with it.
        if (!out.empty() && bytes + envelope.size() > max_bytes) break;
        bytes += envelope.size();
        out.push_back({seq, std::move(envelope)});
    }
    return out;
}

void Replica::acknowledge_pushed(std::uint64_t seq) {
    auto& db = *impl_->db;
    sqlite::Transaction tx(db);
    const std::uint64_t written = impl_->log.tip(impl_->replica).seq;
    if (seq > written) {
        throw InputError("cannot acknowledge change " + change_id(impl_->replica, seq) + ": this replica wrote " +
                         std::to_string(written) + " changes so far");
    }
    // Never backwards: another kim process syncing the same replica may have
    // recorded more already.
    if (seq > meta_number(db, meta::sync_pushed_seq)) meta::put(db, meta::sync_pushed_seq, std::to_string(seq));
    tx.commit();
}

ImportReport Replica::apply_pulled(const protocol::PullResponse& page) {
    if (!page.changes.is_array() || !page.introductions.is_array()) {
        throw InputError("a pulled page needs lists of changes and introductions");
    }
    std::vector<Peer> peers;
    peers.reserve(page.introductions.size());
    for (const auto& j : page.introductions) peers.push_back(introduction_from_json(j));
    std::vector<Change> changes;
    changes.reserve(page.changes.size());
    for (const auto& j : page.changes) changes.push_back(change_from_json(j));
    // An origin's changes in seq order, so that few wait for a gap.
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
        return std::tie(a.origin, a.seq) < std::tie(b.origin, b.seq);
    });

    auto& db = *impl_->db;
    ImportReport report;
    // The page and its cursor in one transaction: a kim killed here resumes
    // from the previous cursor and gets this page again, and nothing is
    // applied twice (changes held already count as duplicates).
    impl_->merge.take_erasure_flag();  // only what this page erases counts below
    sqlite::Transaction tx(db);
    Importer importer(impl_->log, impl_->merge, impl_->catalogue, impl_->keys.site_key, impl_->site, impl_->clock,
                      ImportSource::server);
    for (const auto& peer : peers) report.introduced += importer.introduce(peer, report) ? 1 : 0;
    const auto prepared = importer.prepare(changes);
    for (std::size_t i = 0; i < changes.size(); ++i) importer.ingest(changes[i], prepared[i], report);
    report.waiting = impl_->log.pending_count();
    if (report.waiting > 0 && impl_->merge.any_erased()) impl_->merge.purge_held_of_erased();
    if (page.next > meta_number(db, meta::sync_pull_cursor)) meta::put(db, meta::sync_pull_cursor, std::to_string(page.next));
    // Another kim process may have moved the stored clock further meanwhile.
    const std::uint64_t stored_hlc = meta_number(db, meta::last_hlc);
    meta::put(db, meta::last_hlc, std::to_string(std::max(stored_hlc, impl_->clock.last())));
    tx.commit();
    impl_->reader.forget_all();
    if (impl_->merge.take_erasure_flag()) sqlite::truncate_wal(db);
    return report;
}

void Replica::record_sync_success(std::int64_t when) {
    meta::put(*impl_->db, meta::sync_last_success, std::to_string(std::max<std::int64_t>(when, 0)));
}

nlohmann::json Replica::introduction() {
    const auto& k = impl_->keys;
    return introduction_to_json({impl_->replica, k.public_key, introduction_mac(k.site_key, impl_->site, impl_->replica, k.public_key)});
}

crypto::Signature Replica::sign_auth(std::string_view message) {
    // Only "kimsync-auth-v1\n<this replica>\n<base64 challenge>": the same key
    // signs changes, so it must never sign bytes chosen by someone else.
    const std::string prefix = protocol::auth_message(impl_->replica, "");
    const bool shaped = message.starts_with(prefix) && message.size() - prefix.size() <= 256 &&
                        base64_decode(message.substr(prefix.size())).has_value() && message.size() > prefix.size();
    if (!shaped) {
        throw InputError("refusing to sign: only the authentication message of protocol v" + std::to_string(protocol::version) +
                         " for replica '" + impl_->replica + "' is signed with its key");
    }
    return crypto::sign(impl_->keys.signing_key, as_bytes(message));
}

}  // namespace kim::client
