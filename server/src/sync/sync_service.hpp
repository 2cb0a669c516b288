// The push and pull of protocol v1 (docs/protocol.md): checks every pushed
// change, stores a batch all or nothing, and pages a site's log out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../auth/caller.hpp"
#include "../store/store.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server {

struct PushOutcome {
    protocol::PushResponse response;  // response.stored says whether the batch was committed
    std::size_t accepted = 0;    // changes newly stored (0 unless response.stored)
    std::size_t duplicates = 0;  // changes stored before (0 unless response.stored)
    std::size_t purged = 0;      // ciphertexts of erased records removed (0 unless response.stored)
    std::vector<protocol::Refusal> refusals;  // one per refused change, for metrics and the log
};

class SyncService {
public:
    SyncService(Store& store, const Catalogue& catalogue, std::function<std::uint64_t()> now_millis = system_millis);

    // Needs the replica role (PermissionError otherwise). InputError when the
    // body is not a push request or its introduction does not name the caller
    // and its enrolled key; TooLargeError (sync_errors.hpp, an InputError:
    // HTTP 413) when it holds more than max_push_changes; AuthError when the
    // caller was revoked meanwhile. Refused changes are not errors: they are
    // in the outcome, with response.stored false and nothing stored.
    // response.results follow the order of the request's changes.
    PushOutcome push(const Caller& caller, nlohmann::json body);
    // Needs the replica role. The serialized PullResponse (JSON text): the
    // stored envelopes are spliced in as they are, never re-encoded.
    // InputError unless 1 <= limit <= max_pull_limit and since < 2^63.
    std::string pull(const Caller& caller, std::uint64_t since, std::size_t limit);

private:
    Store& store_;
    const Catalogue& catalogue_;
    std::function<std::uint64_t()> now_millis_;
};

}  // namespace kim::server
