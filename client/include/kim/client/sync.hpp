// `kim sync` as a library call: authenticate with the replica's key, push the
// outbox in batches, pull the site's changes until caught up (docs/protocol.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kim/client/replica.hpp"
#include "kim/client/views.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::client {

// A server address kim can use: https://HOST[:PORT], or http://HOST:PORT
// when HOST is this computer (loopback), as the server allows nothing else.
struct ServerUrl {
    bool tls = false;
    std::string host;  // lowercase; an IPv6 address without its brackets
    std::uint16_t port = 0;

    // The normalised form: "https://host[:port]" (the default port left out).
    std::string text() const;
    // "host:port" as the Host header wants it (IPv6 in brackets).
    std::string authority() const;
};

// InputError saying what is wrong with `text` and what a good URL looks like;
// plain http to another computer is refused (case data would travel in clear).
ServerUrl parse_server_url(std::string_view text);
// localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

// The server could not be reached, or the connection broke or timed out.
// Nothing is lost: what was not acknowledged stays in the outbox.
class UnreachableError : public Error {
public:
    UnreachableError(const std::string& server, const std::string& reason);
    const std::string& server() const { return server_; }
    const std::string& reason() const { return reason_; }

private:
    std::string server_;
    std::string reason_;
};

struct ConnectionOptions {
    std::string ca_file{};  // extra trusted CA certificates (PEM); empty: the system's only
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{60'000};  // one request: sending it and reading the answer
};

struct SyncProgress {
    enum class Phase { push, pull };
    Phase phase = Phase::push;
    std::size_t pushed = 0;   // push: changes acknowledged so far in this sync
    std::size_t to_push = 0;  // push: the outbox when the sync began
    std::size_t batches = 0;  // push: batches sent so far
    std::size_t pulled = 0;   // pull: changes received so far
    std::size_t pages = 0;    // pull: pages applied so far
    std::uint64_t cursor = 0; // pull: the cursor after the last page
    bool more = false;        // pull: the server has more
};

struct SyncOptions {
    // Every member has an initializer, so that designated initializers
    // (SyncOptions{.pull_limit = 250}) compile without warnings.
    std::string server{};  // URL; empty: the one set with Replica::set_server
    std::optional<std::string> ca_file{};  // unset: the one set with Replica::set_ca_file
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{60'000};
    // Push batches stay under both bounds (and so under the server's limits).
    // A megabyte of changes per push and 500 per page keep the memory of
    // both sides small (docs/performance.md): a pull holds two pages, the
    // one applied and the next one arriving; a commit per batch costs the
    // rate little at these sizes.
    std::size_t push_batch_changes = protocol::max_push_changes;
    std::size_t push_batch_bytes = std::size_t{1} << 20;
    std::size_t pull_limit = 500;
    // Push and pull everything again from the start (Replica::reset_sync_state).
    bool from_start = false;
    // Called when from_start reset the sync state (after authenticating; a
    // sync that fails before that leaves the state as it was).
    std::function<void()> after_reset{};
    // Called after every push batch and every pull page.
    std::function<void(const SyncProgress&)> progress{};
    // Checked between batches and pages: true ends the sync early, cleanly.
    std::function<bool()> stop_requested{};
};

struct RefusedChange {
    std::string id;  // origin:seq
    std::optional<protocol::Refusal> reason;
    std::string message;  // the server's words
};

struct SyncReport {
    std::string server;
    std::size_t pushed = 0;           // stored by the server in this sync
    std::size_t push_duplicates = 0;  // already stored there (pushed before, not acknowledged here)
    std::size_t push_batches = 0;
    std::vector<RefusedChange> refused;  // the server refused a batch: pushing stopped there
    std::uint64_t outbox_left = 0;       // own changes not acknowledged after this sync
    std::size_t pulled = 0;              // changes received
    std::size_t pages = 0;
    ImportReport applied;                // over all pages: applied, duplicates, waiting, introduced
    std::uint64_t cursor = 0;
    std::size_t conflicts = 0;  // conflicts shown here after the sync
    bool stopped = false;       // ended early by stop_requested

    bool complete() const { return refused.empty() && !stopped; }
};

// One sync. The replica is used by one thread at a time: this one, or a
// helper thread of the sync's own while this one waits for the server
// (decisions 116). Throws
// UnreachableError when the server cannot be reached (or the connection
// breaks), StateError when it does not accept this replica, IntegrityError
// when a pulled page fails verification (nothing of it is applied), and
// kim::Error for any other answer. A refused push is not thrown: it is in
// SyncReport::refused, and the pull still runs.
SyncReport sync(Replica& replica, const SyncOptions& options);

// Whether a refusal means a change was altered, forged or forked (rather
// than an input or configuration problem).
bool is_integrity_refusal(protocol::Refusal reason);

struct ServerHealth {
    bool reachable = false;
    std::string detail;  // "ok", or why not
};
// GET /healthz, without authentication; never throws for network trouble.
ServerHealth check_server(std::string_view url, const ConnectionOptions& options);

}  // namespace kim::client
