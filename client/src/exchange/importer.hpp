// Verifies foreign changes and hands them to the merge engine: signature by
// an introduced peer, ciphertext hashes, catalogue rules, the origin's hash
// chain (gaps wait in `pending`), duplicates and equivocation.
#pragma once

#include <string>

#include "../log/change_log.hpp"
#include "../merge/merge_engine.hpp"
#include "kim/client/views.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::client {

class Importer {
public:
    Importer(ChangeLog& log, MergeEngine& merge, const Catalogue& catalogue, const Key32& site_key, std::string site,
             HybridClock& clock)
        : log_(log), merge_(merge), catalogue_(catalogue), site_key_(site_key), site_(std::move(site)), clock_(clock) {}

    // Accepts a peer vouched for by the site key; IntegrityError on a forged
    // introduction or a second key for a known replica.
    bool introduce(const Peer& peer);
    // Throws IntegrityError/InputError naming the change when it is refused.
    void ingest(const Change& change, ImportReport& report);

private:
    void verify(const Change& c);
    void apply_and_drain(Change c, Hash32 hash, ImportReport& report);
    void restore_ciphertexts(const Change& c, const Hash32& hash, const HeldChange& held);

    ChangeLog& log_;
    MergeEngine& merge_;
    const Catalogue& catalogue_;
    const Key32& site_key_;
    std::string site_;
    HybridClock& clock_;
};

}  // namespace kim::client
