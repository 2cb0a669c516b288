// Verifies foreign changes and hands them to the merge engine: signature by
// an introduced peer, ciphertext hashes, catalogue rules, the origin's hash
// chain (gaps wait in `pending`), duplicates and equivocation.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../log/change_log.hpp"
#include "../merge/merge_engine.hpp"
#include "kim/client/views.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::client {

// Where the changes come from. A change file is refused whole on any
// failure. A pulled page comes from the (blind) server, which relays every
// replica it enrolled: there an introduction the site key does not vouch for
// and changes of origins without a valid introduction are skipped with a
// warning instead of blocking the page (docs/decisions.md 46), and the
// clock-skew bound is doubled (47).
enum class ImportSource { file, server };

// A pulled change dated too far ahead: this computer's clock is the likely
// culprit, not the server, so the sync says so (it is still refused whole).
class ClockAheadError : public IntegrityError {
public:
    using IntegrityError::IntegrityError;
};

class Importer {
public:
    Importer(ChangeLog& log, MergeEngine& merge, const Catalogue& catalogue, const Key32& site_key, std::string site,
             HybridClock& clock, ImportSource source = ImportSource::file)
        : log_(log), merge_(merge), catalogue_(catalogue), site_key_(site_key), site_(std::move(site)), clock_(clock),
          source_(source) {}

    // Accepts a peer vouched for by the site key; IntegrityError on a second
    // key for a known replica, and on a forged introduction in a file. From
    // the server, an introduction the site key does not vouch for is skipped
    // with a warning in `report` (false).
    bool introduce(const Peer& peer, ImportReport& report);
    // What ingest needs that the database does not hold: a change's hash and,
    // for a new change of an origin introduced here, whether its signature
    // verifies.
    // Made for a whole page or file at once (after its introductions), on
    // every core: the signature checks are the largest part of a pull's
    // computation (docs/performance.md).
    struct Prepared {
        Hash32 hash{};
        bool held_before = true;           // false: certainly not held when the page or file came
        std::optional<bool> signature_ok;  // empty: not checked (origin unknown, or the change held already)
    };
    std::vector<Prepared> prepare(const std::vector<Change>& changes);

    // Throws IntegrityError/InputError naming the change when it is refused.
    // From the server, a change of an origin not introduced here is skipped
    // (report.unvouched) and not held. `prepared`: prepare()'s for `change`.
    void ingest(const Change& change, const Prepared& prepared, ImportReport& report);

private:
    // The peer as stored, read once per page or file.
    const Peer* known_peer(const std::string& origin);
    void verify(const Change& c, const Prepared& prepared);
    void apply_and_drain(Change c, Hash32 hash, ImportReport& report);
    void restore_ciphertexts(const Change& c, const Hash32& hash, const HeldChange& held);

    ChangeLog& log_;
    MergeEngine& merge_;
    const Catalogue& catalogue_;
    const Key32& site_key_;
    std::string site_;
    HybridClock& clock_;
    ImportSource source_;
    std::set<std::string> unvouched_origins_;  // warned about once
    std::map<std::string, std::optional<Peer>, std::less<>> peers_;
    std::set<std::pair<std::string, std::uint64_t>> ingested_;  // (origin, seq) ingested so far
};

}  // namespace kim::client
