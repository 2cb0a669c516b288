// The replica's copy of the signed change log: envelopes, ciphertexts,
// changes waiting for a gap to close, and the peers whose signatures count.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kim/sqlite/database.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/crypto.hpp"

namespace kim::client {

struct ChainTip {
    std::uint64_t seq = 0;
    Hash32 hash{};  // zero_hash when seq == 0
};

// What is held here under one change id, in the log or waiting for a gap.
struct HeldChange {
    Hash32 hash{};
    crypto::Signature sig{};
    bool waiting = false;
};

struct Peer {
    std::string replica;
    crypto::PublicKey public_key{};
    Hash32 intro_mac{};
};

class ChangeLog {
public:
    explicit ChangeLog(sqlite::Database& db) : db_(db) {}

    std::optional<Hash32> hash_of(std::string_view origin, std::uint64_t seq);
    std::optional<HeldChange> held(std::string_view origin, std::uint64_t seq);
    // Whether held() finds something, without reading the change.
    bool holds(std::string_view origin, std::uint64_t seq);
    ChainTip tip(std::string_view origin);
    // Stores the envelope and its ciphertexts (call inside a transaction).
    void append(const Change& c, const Hash32& hash);
    // Loads a change; ciphertexts that were purged are absent from its ops.
    std::optional<Change> load(std::string_view origin, std::uint64_t seq);
    std::optional<Bytes> ciphertext(std::string_view origin, std::uint64_t seq, std::string_view field);
    // Stores a ciphertext that arrived after its change (a copy without `ct` came first).
    void add_ciphertext(std::string_view origin, std::uint64_t seq, std::string_view field, const Bytes& ct);
    void for_each(const std::function<void(const Change&)>& fn);
    std::uint64_t count();
    std::uint64_t count_of(std::string_view origin);

    // Deletes every ciphertext of the given record's changes.
    void purge_record(std::string_view record);

    void add_pending(const Change& c, const Hash32& hash);
    // Deletes the waiting changes of `origin` from `seq` on; returns how many.
    std::uint64_t drop_pending_from(std::string_view origin, std::uint64_t seq);
    std::optional<Change> take_pending(std::string_view origin, std::uint64_t seq);
    void for_each_pending(const std::function<void(const Change&)>& fn);
    std::uint64_t pending_count();
    // Deletes the ciphertexts of the held changes for which `erased` is true
    // (their signatures cover only the hashes, so they stay valid); returns
    // how many were stripped.
    std::uint64_t purge_pending(const std::function<bool(const Change&)>& erased);

    std::optional<Peer> peer(std::string_view replica);
    void add_peer(const Peer& p);
    std::vector<Peer> peers();

private:
    sqlite::Database& db_;
};

}  // namespace kim::client
