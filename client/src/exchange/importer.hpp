// Verifies foreign changes and hands them to the merge engine: signature by
// an introduced peer, ciphertext hashes, catalogue rules, the origin's hash
// chain (gaps wait in `pending`), duplicates and equivocation.
#pragma once

#include <set>
#include <string>
#include <string_view>

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
    // Throws IntegrityError/InputError naming the change when it is refused.
    // From the server, a change of an origin not introduced here is skipped
    // (report.unvouched) and not held.
    void ingest(const Change& change, ImportReport& report);

private:
    // `canonical`: canonical_bytes(c), which the caller made for the hash.
    void verify(const Change& c, std::string_view canonical);
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
};

}  // namespace kim::client
