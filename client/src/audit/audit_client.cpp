// The auditor's requests (audit_client.hpp).
#include "audit_client.hpp"

#include "log_page.hpp"

#include "kim/shared/errors.hpp"

namespace kim::audit {

namespace {

// A server answer that does not parse is the server's fault, not the
// auditor's input: a plain kim::Error (exit 1), never an InputError.
template <typename Parse>
auto parse_answer(client::ServerSession& session, const client::HttpResponse& r, const char* what, Parse parse) {
    try {
        return parse(session.parse(r, what));
    } catch (const InputError& e) {
        throw Error("the server at " + session.server() + " sent " + what + " that is not protocol v1: " + e.what());
    }
}

}  // namespace

client::Credentials auditor_credentials(const AuditorKey& key) {
    client::Credentials c;
    c.identity = key.name;
    c.role = protocol::Role::auditor;
    c.noun = "auditor";
    c.program = "kim-audit";
    c.enrol_hint = "An administrator enrols it with `" + enrol_command(key) + "`";
    c.retry_hint = "nothing was changed: run `kim-audit verify` again later";
    c.sign = [secret = key.secret_key](std::string_view message) { return crypto::sign(secret, as_bytes(message)); };
    return c;
}

protocol::AuditKeys fetch_keys(client::ServerSession& session) {
    const client::HttpResponse r = session.send("GET", std::string(protocol::path_audit_keys));
    if (r.status != 200) session.fail(r, "the request for the enrolled keys");
    return parse_answer(session, r, "the enrolled keys", protocol::audit_keys_from_json);
}

Checkpoint request_checkpoint(client::ServerSession& session) {
    const client::HttpResponse r = session.send("POST", std::string(protocol::path_audit_checkpoints));
    if (r.status != 200) session.fail(r, "the request for a fresh checkpoint");
    return parse_answer(session, r, "a checkpoint", checkpoint_from_json);
}

protocol::CheckpointList fetch_checkpoints(client::ServerSession& session) {
    const client::HttpResponse r = session.send("GET", std::string(protocol::path_audit_checkpoints));
    if (r.status != 200) session.fail(r, "the request for the checkpoints");
    return parse_answer(session, r, "the checkpoints", protocol::checkpoint_list_from_json);
}

protocol::AuditLogPage fetch_log_page(client::ServerSession& session, std::uint64_t since, std::size_t limit) {
    const std::string target = std::string(protocol::path_audit_log) + "?since=" + std::to_string(since) +
                               "&limit=" + std::to_string(limit) + "&ciphertexts=1";
    const client::HttpResponse r = session.send("GET", target);
    if (r.status != 200) session.fail(r, "the request for the log after server seq " + std::to_string(since));
    return parse_answer(session, r, "a page of the log", protocol::audit_log_page_from_json);
}

namespace {

[[noreturn]] void bad_page(const std::string& server, std::uint64_t since, const std::string& what) {
    throw Error("the server at " + server + " sent a page of its log after server seq " + std::to_string(since) +
                " that " + what + ": not protocol v1 (a different version, or a server that misbehaves); nothing "
                "was saved");
}

}  // namespace

void check_log_page(const std::string& server, const protocol::AuditLogPage& page, std::uint64_t since,
                    std::size_t limit, std::optional<std::uint64_t> last_seq_before) {
    if (page.entries.size() > limit) {
        bad_page(server, since, "holds " + std::to_string(page.entries.size()) + " entries, more than the " +
                                    std::to_string(limit) + " asked for");
    }
    std::uint64_t previous = since;
    for (const auto& e : page.entries) {
        if (e.server_seq <= previous) bad_page(server, since, "does not hold its server seqs in increasing order");
        previous = e.server_seq;
    }
    if (last_seq_before && page.last_seq < *last_seq_before) {
        bad_page(server, since, "states a log of " + std::to_string(page.last_seq) + " changes, shorter than the " +
                                    std::to_string(*last_seq_before) + " it stated before in this run");
    }
    if (page.more) {
        if (page.entries.empty() || page.next <= since) bad_page(server, since, "does not advance");
        if (page.next > page.last_seq) {
            bad_page(server, since, "goes on after server seq " + std::to_string(page.next) +
                                        ", beyond the log's length of " + std::to_string(page.last_seq));
        }
    }
}

}  // namespace kim::audit
