// kim_fuzz_pull_response: what a server (or whoever stands in between)
// answers to `kim sync`'s pulls, handled by the real pull phase
// (client/src/sync/pull_phase.cpp): the session's status and error
// handling, the page's JSON, the introductions and every change verified
// by the Importer and applied by the merge engine to a real replica.
//
// The replica, fz-local, joined site fz-site with the fixed site key of
// fuzz_support.cpp (the generator's replicas fz-a and fz-b did too, so the
// seeds' introductions and signatures verify). It is made once, with the
// minimal Argon2id cost, and copied back after every input that applied or
// refused a page, so that each input starts from the same replica.
//
// The input is the answers to the pulls in turn, separated by a line
// "%%": each is a body, optionally preceded by "@NNN" and a line break for
// an HTTP status other than 200. Once they run out, the server answers an
// empty last page. Sign-in answers are fixed.
//
// The sync refuses what it must as a kim::Error (IntegrityError, StateError,
// ...): that is caught, and nothing else is. Afterwards the stored cursor
// must be the one the pull reports (a refused page applies nothing, its
// cursor neither), and a page refused before any other was applied leaves
// the replica showing what it showed before.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "keys/key_ring.hpp"
#include "kim/client/replica.hpp"
#include "kim/client/sync.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/protocol.hpp"
#include "sync/server_session.hpp"
#include "sync/sync_phases.hpp"
#include "sync/transport.hpp"

namespace {

namespace fs = std::filesystem;
using namespace kim;
using namespace kim::client;

// 2035-01-01: later than every seed's changes, so that their dates pass,
// and the same in every run.
std::uint64_t fixed_wall_clock() { return 2'051'222'400'000; }

constexpr std::string_view page_separator = "\n%%\n";

// KIM_FUZZ_VERBOSE=1: what each input did, on stderr.
bool verbose() {
    static const bool on = std::getenv("KIM_FUZZ_VERBOSE") != nullptr;
    return on;
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "kim_fuzz_pull_response: %s\n", what.c_str());
    std::abort();
}

// The server as the input has it answer.
class ScriptedServer final : public Transport {
public:
    explicit ScriptedServer(std::string_view script) {
        while (!script.empty()) {
            const auto end = script.find(page_separator);
            answers_.push_back(answer_of(script.substr(0, end)));
            if (end == std::string_view::npos) break;
            script.remove_prefix(end + page_separator.size());
        }
    }

    HttpResponse send(const HttpRequest& request) override {
        if (++requests_ > 1000) fail("the pull phase sent more than 1000 requests for one input");
        if (request.target == protocol::path_challenge) {
            const protocol::ChallengeResponse challenge{base64_encode(Hash32{}), protocol::challenge_lifetime_seconds};
            return {200, protocol::to_json(challenge).dump()};
        }
        if (request.target == protocol::path_token) {
            const protocol::TokenResponse token{"kim1.fuzz.token", fuzz::local_replica, protocol::Role::replica,
                                                fuzz::site, 2'051'222'400};
            return {200, protocol::to_json(token).dump()};
        }
        if (!request.target.starts_with(protocol::path_pull) || request.bearer.empty()) {
            fail("the pull phase sent an unexpected request: " + request.method + " " + request.target);
        }
        if (next_ < answers_.size()) return answers_[next_++];
        return {200, R"({"changes":[],"introductions":[],"next":0,"more":false})"};
    }

    const std::string& server() const override { return url_; }

private:
    static HttpResponse answer_of(std::string_view text) {
        HttpResponse r;
        r.status = 200;
        if (text.size() >= 4 && text[0] == '@' && std::isdigit(static_cast<unsigned char>(text[1])) &&
            std::isdigit(static_cast<unsigned char>(text[2])) && std::isdigit(static_cast<unsigned char>(text[3]))) {
            r.status = static_cast<unsigned>((text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0'));
            text.remove_prefix(4);
            if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
        }
        r.body = std::string(text);
        return r;
    }

    std::vector<HttpResponse> answers_;
    std::size_t next_ = 0;
    std::size_t requests_ = 0;
    std::string url_ = "http://127.0.0.1:9";
};

// As kim::client::sync signs in (replica_credentials in sync.cpp).
Credentials credentials_of(Replica& replica) {
    Credentials c;
    c.identity = replica.replica_id();
    c.role = protocol::Role::replica;
    c.site = replica.site();
    c.noun = "replica";
    c.program = "kim";
    c.enrol_hint = "(enrol hint)";
    c.retry_hint = "(retry hint)";
    c.sign = [&replica](std::string_view message) { return replica.sign_auth(message); };
    return c;
}

class Harness {
public:
    Harness() {
        const fs::path scratch = fuzz::scratch_folder("kim-fuzz-pull");
        pristine_ = scratch / "pristine";
        live_ = scratch / "live";
        CreateOptions o;
        o.home = pristine_;
        o.site = fuzz::site;
        o.replica = fuzz::local_replica;
        o.passphrase = fuzz::passphrase;
        o.kdf = KdfParams::minimal();
        o.join_bundle = seal_site_key_bundle(fuzz::fixed_site_key(), fuzz::site, fuzz::bundle_passphrase,
                                             KdfParams::minimal(), {});
        o.bundle_passphrase = fuzz::bundle_passphrase;
        Replica::create(o);
        reset();
        pristine_digest_ = replica_->state_digest();
    }

    void run(std::string_view input) {
        ScriptedServer server(input);
        ServerSession session(server, credentials_of(*replica_));
        const SyncOptions options;
        SyncReport report;
        report.cursor = 0;
        std::string outcome = "complete";
        bool refused_page = false;
        try {
            pull_pages(session, *replica_, options, report);
        } catch (const IntegrityError& e) {
            // A page that failed verification (ClockAheadError is one too).
            refused_page = true;
            outcome = e.what();
        } catch (const Error& e) {
            // Any other refusal: an answer that is not a page. The sync stops there.
            outcome = e.what();
        }
        if (verbose()) {
            const ImportReport& a = report.applied;
            std::fprintf(stderr, "pages %zu, received %zu, applied %zu, duplicates %zu, waiting %zu, introduced %zu, unvouched %zu: %.300s\n",
                         report.pages, a.received, a.applied, a.duplicates, a.waiting, a.introduced, a.unvouched, outcome.c_str());
        }
        const std::uint64_t stored = replica_->sync_state().pull_cursor;
        if (stored != report.cursor) {
            fail("the replica stores pull cursor " + std::to_string(stored) + " but the pull reports " +
                 std::to_string(report.cursor));
        }
        // "Nothing of that page was applied": with no page before it, the
        // replica still shows what it showed before the pull.
        if (refused_page && report.pages == 0 && replica_->state_digest() != pristine_digest_) {
            fail("a refused page changed what the replica shows: " + outcome);
        }
        // A page applied (report.pages counts it before the checks that may
        // still throw) changed the replica, and a refused one may have left
        // something in memory: start the next input afresh.
        if (report.pages > 0 || refused_page) reset();
    }

private:
    void reset() {
        replica_.reset();
        std::error_code ec;
        fs::remove_all(live_, ec);
        fs::copy(pristine_, live_, fs::copy_options::recursive);
        replica_ = std::make_unique<Replica>(Replica::open(live_, fuzz::passphrase, fixed_wall_clock));
    }

    fs::path pristine_;
    fs::path live_;
    std::unique_ptr<Replica> replica_;
    std::string pristine_digest_;
};

std::unique_ptr<Harness>& harness() {
    static std::unique_ptr<Harness> instance;
    return instance;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Made before harness() first runs, so that the scratch folders (removed
    // at exit) outlive the replica in them.
    auto made = std::make_unique<Harness>();
    harness() = std::move(made);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    harness()->run(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
