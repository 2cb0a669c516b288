// POST, GET and DELETE /v1/session: the coordinators' password sign-in for
// the dashboard (docs/protocol.md "Dashboard sign-in"). The name and the
// password are never logged, repeated in a message or kept.
#include <optional>
#include <string>

#include "auth/auth_errors.hpp"
#include "auth/dashboard_sessions.hpp"
#include "auth/login_guard.hpp"
#include "auth/password.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "http/router.hpp"
#include "kim/shared/bytes.hpp"
#include "kim/shared/crypto.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/protocol.hpp"
#include "store/store.hpp"

namespace kim::server::http {

namespace {

// A name and a password of at most max_password_bytes, with room for JSON
// escapes; anyone may call this route, so a larger body is refused unread.
constexpr std::size_t session_body_limit = 16 * 1024;

struct SignIn {
    std::string name;
    std::string password;
    // The password leaves no copy in freed memory.
    ~SignIn() { secure_wipe(password.data(), password.size()); }
};

// Exactly {"name": STRING, "password": STRING}. The messages never quote the
// body: it holds a password.
SignIn sign_in_from(const Request& request) {
    // A cross-site HTML form can send text/plain that parses as JSON, and so
    // sign a browser into an account of the attacker's; it cannot send
    // application/json without the page's consent (CORS).
    if (!request.content_type.starts_with("application/json")) {
        throw InputError("send the sign-in request as JSON (Content-Type: application/json)");
    }
    const nlohmann::json body = json_body(request, "the sign-in request");
    if (!body.is_object()) throw InputError("the sign-in request must be a JSON object {\"name\", \"password\"}");
    for (const auto& item : body.items()) {
        if (item.key() != "name" && item.key() != "password") {
            throw InputError("the sign-in request has an unknown key; it takes only \"name\" and \"password\"");
        }
    }
    const auto text = [&](const char* key) {
        const auto it = body.find(key);
        if (it == body.end() || !it->is_string()) {
            throw InputError(std::string("the sign-in request needs \"") + key + "\" as a string");
        }
        return it->get<std::string>();
    };
    return SignIn{text("name"), text("password")};
}

[[noreturn]] void wrong_name_or_password() {
    // One message for every reason: whether the name exists, has a password
    // or was mistyped is never revealed.
    throw AuthError("wrong name or password");
}

std::string session_cookie(const std::string& value, std::int64_t max_age, bool secure) {
    return std::string(session_cookie_name) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(max_age) + (secure ? "; Secure" : "");
}

nlohmann::json session_json(const DashboardSession& session) {
    return {{"name", session.name},
            {"role", std::string(protocol::to_string(protocol::Role::coordinator))},
            {"expires_at", session.expires_at}};
}

// The Argon2id string checked when the name has no password, so that an
// unknown name costs the same time as a known one (password.hpp).
const std::string& dummy_hash() {
    static const std::string hash = unmatchable_password_hash();
    return hash;
}

Response sign_in(Store& store, DashboardSessions& sessions, LoginGuard& guard, const std::string& no_user_hash,
                 const Request& request) {
    SignIn input = sign_in_from(request);
    const bool possible_name = is_valid_name(input.name);
    // Before the password is looked at: 429 for a name or address at its
    // limit, 503 while enough Argon2id checks are running.
    LoginGuard::Attempt attempt = guard.begin(possible_name ? input.name : std::string(), request.remote_address);
    if (!possible_name) {
        // No user can have this name (a public rule), so nothing is revealed
        // by answering without a password check.
        attempt.failed();
        wrong_name_or_password();
    }
    const std::optional<User> user = store.user(input.name);
    const bool has_password = user && user->password_hash;
    const bool verified = verify_password(input.password, has_password ? *user->password_hash : no_user_hash);
    if (!has_password || !verified) {
        attempt.failed();
        wrong_name_or_password();
    }
    // The password was right: not a guess, whatever the role.
    attempt.succeeded();
    if (user->role != protocol::Role::coordinator) {
        throw PermissionError("the dashboard is for coordinators; this account has another role");
    }
    // A sign-in replaces the session this browser had.
    if (const auto old = cookie_value(request.cookie, session_cookie_name)) sessions.end(*old);
    const DashboardSession session = sessions.start(user->name);
    Response response = json_response(200, session_json(session));
    response.headers.emplace_back("Set-Cookie", session_cookie(session.id, session_lifetime_seconds, request.secure));
    return response;
}

Response current_session(DashboardSessions& sessions, const Request& request) {
    if (const auto id = cookie_value(request.cookie, session_cookie_name)) {
        if (const auto session = sessions.find(*id)) return json_response(200, session_json(*session));
    }
    throw AuthError("there is no live dashboard session (it ends after 8 hours, or 30 minutes unused); sign in again");
}

Response sign_out(DashboardSessions& sessions, const Request& request) {
    if (const auto id = cookie_value(request.cookie, session_cookie_name)) sessions.end(*id);
    Response response = json_response(200, {{"signed_out", true}});
    response.headers.emplace_back("Set-Cookie", session_cookie("", 0, request.secure));
    return response;
}

}  // namespace

void add_session_routes(Router& router, Store& store, DashboardSessions& sessions, LoginGuard& guard) {
    const std::string& dummy = dummy_hash();
    router.add(
        "POST", protocol::path_session,
        [&store, &sessions, &guard, &dummy](const Request& request) {
            return sign_in(store, sessions, guard, dummy, request);
        },
        RouteOptions{session_body_limit, {}});
    router.add("GET", protocol::path_session, [&sessions](const Request& request) { return current_session(sessions, request); });
    router.add("DELETE", protocol::path_session, [&sessions](const Request& request) { return sign_out(sessions, request); });
}

}  // namespace kim::server::http
