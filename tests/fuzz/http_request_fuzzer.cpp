// kim_fuzz_http_request: raw bytes arriving on one connection of kim-server.
// They are read with Beast's request parser and the server's limits exactly
// as a session reads them (server/src/http/session_impl.hpp: header, the
// route's body limit and header check, body, pipelined requests) and each
// request is handled by the real Router with every route of `serve`, over
// the real services and a real SQLite store in a scratch folder.
//
// The store starts the same for every input: site fz-site with replica fz-a's
// changes stored, replica fz-b, an auditor and a coordinator enrolled. An
// input that stored something (a push, a checkpoint) gets a fresh copy of it
// afterwards; one that asked for a challenge, a token or a session gets
// fresh in-memory services. The dashboard's sign-in guard is the exception:
// it lives for the whole run, so that the Argon2id checks (a second each)
// stop after its first few failures.
//
// Tokens are not predictable, so the seeds name them: the Authorization or
// Cookie headers may hold @TOKEN_REPLICA@ (fz-b), @TOKEN_A@ (fz-a),
// @TOKEN_AUDITOR@, @TOKEN_COORD@ or @SESSION@ (the coordinator's dashboard
// session), replaced by live values before parsing. A token request's body
// may hold the 44-character challenge marker and the 88-character signature
// marker of fuzz_support.hpp: they become a fresh challenge for fz-b and its signature
// (same lengths, so the Content-Length still holds).
//
// A finding is: a crash or sanitizer report, an exception escaping the
// router, a 500 answer (the router's "a bug" answer: a handler let a
// non-kim exception out), a response header with a line break or NUL, or a
// JSON answer that is not JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "audit/audit_service.hpp"
#include "auth/auth_service.hpp"
#include "auth/dashboard_sessions.hpp"
#include "auth/login_guard.hpp"
#include "fuzz_support.hpp"
#include "handlers/handlers.hpp"
#include "http/http_message.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/session.hpp"
#include "kim/shared/audit_protocol.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/protocol.hpp"
#include "stats/stats_service.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "sync/sync_service.hpp"

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using nlohmann::json;
using namespace kim;
using namespace kim::server;

// Fixed clocks: tokens, challenges and sessions never expire during a run,
// and a change's date is judged the same way every time.
constexpr std::int64_t now_seconds = 1'800'000'000;  // 2027-01-15
std::int64_t fixed_seconds() { return now_seconds; }
std::uint64_t fixed_millis() { return static_cast<std::uint64_t>(now_seconds) * 1000; }

constexpr const char* remote_address = "127.0.0.1";

// The server's log (std::cerr) of the current input, shown with a finding.
std::ostringstream& server_log() {
    static std::ostringstream log;
    return log;
}

// KIM_FUZZ_VERBOSE=1: each request's answer on stderr, to see what a seed or
// a reproducer does.
bool verbose() {
    static const bool on = std::getenv("KIM_FUZZ_VERBOSE") != nullptr;
    return on;
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "kim_fuzz_http_request: %s\nserver log of this input:\n%s\n", what.c_str(),
                 server_log().str().c_str());
    std::abort();
}

struct Identity {
    std::string name;
    crypto::SigningKeyPair key;
};

// What `serve` builds over a store, minus the network.
struct Services {
    Services(Store& store, DashboardSessions& dashboard_sessions, LoginGuard& guard)
        : auth(store, fixed_seconds), sync(store, Catalogue::builtin(), fixed_millis), audit(store),
          stats(store, Catalogue::builtin()), sessions(dashboard_sessions) {
        http::add_health_routes(router, metrics);
        http::add_auth_routes(router, auth);
        http::add_sync_routes(router, auth, sync, metrics);
        http::add_audit_routes(router, auth, audit);
        http::add_stats_routes(router, auth, sessions, stats);
        http::add_session_routes(router, store, sessions, guard);
        http::add_dashboard_routes(router);
    }
    AuthService auth;
    SyncService sync;
    AuditService audit;
    stats::StatsService stats;
    DashboardSessions& sessions;
    http::Metrics metrics;
    http::Router router;
};

class Harness {
public:
    Harness() {
        crypto::init();
        const fs::path scratch = fuzz::scratch_folder("kim-fuzz-http");
        pristine_ = scratch / "pristine";
        live_ = scratch / "live";
        a_ = {fuzz::replica_a, fuzz::fixed_key(fuzz::replica_a)};
        b_ = {fuzz::replica_b, fuzz::fixed_key(fuzz::replica_b)};
        auditor_ = {fuzz::auditor, fuzz::fixed_key(fuzz::auditor)};
        coordinator_ = {fuzz::coordinator, fuzz::fixed_key(fuzz::coordinator)};
        make_pristine_store();
        LoginLimits limits;
        limits.failures_per_name = 1;
        limits.failures_per_address = 3;
        guard_ = std::make_unique<LoginGuard>(fixed_seconds, limits);
        reset_store();
        // Once: the tokens stay valid across resets (the token secret is
        // in the store's copy, the clock stands still).
        token_a_ = sign_in(a_);
        token_b_ = sign_in(b_);
        token_auditor_ = sign_in(auditor_);
        token_coordinator_ = sign_in(coordinator_);
        reset_memory();
    }

    void run(std::string_view input) {
        server_log().str("");
        std::string bytes = substitute(input);
        serve_connection(bytes);
        if (store_dirty_) {
            reset_store();
        } else if (memory_dirty_) {
            reset_memory();
        }
    }

private:
    void make_pristine_store() {
        create_sqlite_store(pristine_);
        auto store = open_sqlite_store(pristine_);
        store->add_replica({a_.name, fuzz::site, a_.key.public_key, now_seconds, std::nullopt});
        store->add_replica({b_.name, fuzz::site, b_.key.public_key, now_seconds, std::nullopt});
        store->add_user({auditor_.name, protocol::Role::auditor, auditor_.key.public_key, std::nullopt, now_seconds});
        store->add_user({coordinator_.name, protocol::Role::coordinator, coordinator_.key.public_key, std::nullopt, now_seconds});
        SyncService sync(*store, Catalogue::builtin(), fixed_millis);
        // The server keeps an introduction without checking its MAC (it has no
        // site key): any 32 bytes do here, and kim_client stays out of this target.
        const json introduction = {{"replica", a_.name},
                                   {"public_key", base64_encode(a_.key.public_key)},
                                   {"mac", base64_encode(crypto::blake2b256(as_bytes("not checked by the server")))}};
        json body = {{"changes", json::array()}, {"introduction", introduction}};
        fuzz::ChangeChain chain(a_.name, a_.key);
        for (const auto& c : fuzz::server_changes(chain)) body["changes"].push_back(change_to_json(c));
        const PushOutcome outcome = sync.push(Caller{a_.name, protocol::Role::replica, fuzz::site}, body);
        if (!outcome.response.stored || outcome.accepted != 5) fail("the store for the fuzzer refused fz-a's changes");
    }

    void reset_store() {
        services_.reset();
        store_.reset();
        std::error_code ec;
        fs::remove_all(live_, ec);
        fs::copy(pristine_, live_, fs::copy_options::recursive);
        store_ = open_sqlite_store(live_);
        store_dirty_ = false;
        reset_memory();
    }

    void reset_memory() {
        services_.reset();
        sessions_ = std::make_unique<DashboardSessions>(fixed_seconds);
        session_id_ = sessions_->start(coordinator_.name).id;
        services_ = std::make_unique<Services>(*store_, *sessions_, *guard_);
        memory_dirty_ = false;
    }

    std::string sign_in(const Identity& who) {
        AuthService auth(*store_, fixed_seconds);
        const auto challenge = auth.challenge({who.name});
        const auto message = protocol::auth_message(who.name, challenge.challenge);
        const auto signature = crypto::sign(who.key.secret_key, as_bytes(message));
        return auth.token({who.name, challenge.challenge, base64_encode(signature)}).token;
    }

    static void replace_all(std::string& s, std::string_view from, std::string_view to) {
        for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
    }

    std::string substitute(std::string_view input) {
        std::string s(input);
        if (s.find('@') == std::string::npos) return s;
        replace_all(s, "@TOKEN_REPLICA@", token_b_);
        replace_all(s, "@TOKEN_A@", token_a_);
        replace_all(s, "@TOKEN_AUDITOR@", token_auditor_);
        replace_all(s, "@TOKEN_COORD@", token_coordinator_);
        replace_all(s, "@SESSION@", session_id_);
        if (s.find(fuzz::challenge_marker) != std::string::npos) {
            const auto challenge = services_->auth.challenge({b_.name}).challenge;
            memory_dirty_ = true;
            const auto signature = crypto::sign(b_.key.secret_key, as_bytes(protocol::auth_message(b_.name, challenge)));
            replace_all(s, fuzz::challenge_marker, challenge);
            replace_all(s, fuzz::signature_marker, base64_encode(signature));
        }
        return s;
    }

    // The bytes a client sends, handed out as a socket would: at most 4 KiB a read.
    class InputStream {
    public:
        explicit InputStream(std::string_view bytes) : rest_(bytes) {}

        template <class MutableBufferSequence>
        std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
            if (rest_.empty()) {
                ec = asio::error::eof;
                return 0;
            }
            ec = {};
            const std::size_t n = asio::buffer_copy(buffers, asio::buffer(rest_.data(), std::min<std::size_t>(rest_.size(), 4096)));
            rest_.remove_prefix(n);
            return n;
        }
        template <class MutableBufferSequence>
        std::size_t read_some(const MutableBufferSequence& buffers) {
            beast::error_code ec;
            const std::size_t n = read_some(buffers, ec);
            if (ec) throw beast::system_error(ec);
            return n;
        }

    private:
        std::string_view rest_;
    };

    // Session::fill_from_fields.
    static void fill_from_fields(http::Request& request, const bhttp::fields& fields) {
        request.authorization = std::string(fields[bhttp::field::authorization]);
        request.accept = std::string(fields[bhttp::field::accept]);
        request.content_type = std::string(fields[bhttp::field::content_type]);
        for (auto [it, end] = fields.equal_range(bhttp::field::cookie); it != end; ++it) {
            if (!request.cookie.empty()) request.cookie += "; ";
            request.cookie += std::string(it->value());
        }
        request.remote_address = remote_address;
        request.secure = false;
    }

    // Session::send: the response as it goes on the wire.
    static void send(http::Response response, std::string_view method, unsigned version, bool keep_alive) {
        if (response.status == 500) fail("a request was answered 500 (a handler let a non-kim exception out): " + response.body);
        for (const auto& [name, value] : response.headers) {
            if ((name + value).find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
                fail("the response header " + name + " holds a line break or NUL");
            }
        }
        if (response.content_type == "application/json" && !json::accept(response.body)) {
            fail("a JSON answer (" + std::to_string(response.status) + ") is not JSON");
        }
        bhttp::response<bhttp::string_body> out(static_cast<bhttp::status>(response.status), version);
        out.set(bhttp::field::server, "kim-server");
        out.set(bhttp::field::content_type, response.content_type);
        out.set(bhttp::field::cache_control, "no-store");
        for (const auto& [name, value] : response.headers) out.set(name, value);
        out.body() = std::move(response.body);
        out.keep_alive(keep_alive);
        out.prepare_payload();
        if (method == "HEAD") out.body().clear();
        std::ostringstream wire;
        wire << out;
    }

    // Session::on_read_error, for the errors that are answered.
    static void answer_read_error(const beast::error_code& ec, const std::string& method) {
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof) return;
        if (ec == bhttp::error::body_limit) return send(http::error_response(413, "too_large", "body too large"), method, 11, false);
        if (ec == bhttp::error::header_limit) return send(http::error_response(400, "bad_request", "headers too large"), method, 11, false);
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
            return send(http::error_response(400, "bad_request", "the request is not valid HTTP/1.1 (" + ec.message() + ")"),
                        method, 11, false);
        }
        fail("the parser reported an error a session does not expect: " + ec.message());
    }

    // Session: wait_for_request, on_header, refuse_before_body, read_body,
    // handle_request, for each request the connection carries.
    void serve_connection(std::string_view bytes) {
        InputStream stream(bytes);
        beast::flat_buffer buffer;
        const http::SessionLimits limits{};
        const http::Router& router = services_->router;
        for (int requests = 0; requests < 32; ++requests) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.body_limit(limits.body_limit);
            parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
            beast::error_code ec;
            bhttp::read_header(stream, buffer, parser, ec);
            const std::string method(parser.get().method_string());
            if (ec) return answer_read_error(ec, method);

            const auto& header = parser.get();
            const auto target = header.target();
            http::Request head = http::request_for_target(method, std::string_view(target.data(), target.size()));
            const std::size_t body_limit = std::min(limits.body_limit, router.body_limit(head.method, head.path));
            const auto length = parser.content_length();
            if (length && *length > body_limit) {
                return send(http::error_response(413, "too_large", "body too large"), method, header.version(), false);
            }
            parser.body_limit(body_limit);
            fill_from_fields(head, header);
            if (auto refusal = router.check_before_body(head)) {
                const bool keep_alive = parser.is_done() && header.keep_alive();
                send(std::move(*refusal), method, header.version(), keep_alive);
                if (!keep_alive) return;
                continue;
            }

            bhttp::read(stream, buffer, parser, ec);
            if (ec) return answer_read_error(ec, method);
            bhttp::request<bhttp::string_body> message = parser.release();
            const auto message_target = message.target();
            http::Request request =
                http::request_for_target(method, std::string_view(message_target.data(), message_target.size()));
            fill_from_fields(request, message);
            request.body = std::move(message.body());
            const http::Response response = router.handle(request);
            if (verbose()) {
                std::fprintf(stderr, "%s %s -> %u %s\n", method.c_str(), http::printable_excerpt(request.path, 80).c_str(),
                             response.status, http::printable_excerpt(response.body, 160).c_str());
            }
            note_state_change(request, response.status);
            send(response, method, message.version(), message.keep_alive());
            if (!message.keep_alive()) return;
        }
    }

    void note_state_change(const http::Request& request, unsigned status) {
        if (request.method != "GET" && request.method != "HEAD") memory_dirty_ = true;
        if (status == 200 && request.method == "POST" &&
            (request.path == protocol::path_push || request.path == protocol::path_audit_checkpoints)) {
            store_dirty_ = true;
        }
    }

    fs::path pristine_;
    fs::path live_;
    Identity a_, b_, auditor_, coordinator_;
    std::unique_ptr<LoginGuard> guard_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<DashboardSessions> sessions_;
    std::unique_ptr<Services> services_;
    std::string token_a_, token_b_, token_auditor_, token_coordinator_, session_id_;
    bool store_dirty_ = false;
    bool memory_dirty_ = false;
};

std::unique_ptr<Harness>& harness() {
    static std::unique_ptr<Harness> instance;
    return instance;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // The server logs to std::cerr (request_log.cpp); keep it per input.
    std::cerr.rdbuf(server_log().rdbuf());
    // Made before harness() first runs, so that the scratch folders (removed
    // at exit) outlive the store and the replica files in them.
    auto made = std::make_unique<Harness>();
    harness() = std::move(made);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    harness()->run(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
