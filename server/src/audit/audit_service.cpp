// The audit endpoints' logic (audit_service.hpp).
#include "audit_service.hpp"

#include <algorithm>

#include "../store/envelope_purge.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

AuditService::AuditService(Store& store) : store_(store) {}

protocol::AuditKeys AuditService::keys(const Caller& caller) {
    require_role(caller, protocol::Role::auditor);
    protocol::AuditKeys out;
    out.server_key = base64_encode(store_.secrets().public_key);
    for (const auto& r : store_.replicas()) {
        out.replicas.push_back({r.id, r.site, base64_encode(r.public_key), r.enrolled_at, r.revoked_at});
    }
    std::sort(out.replicas.begin(), out.replicas.end(),
              [](const protocol::AuditReplicaKey& a, const protocol::AuditReplicaKey& b) { return a.id < b.id; });
    return out;
}

std::string AuditService::log(const Caller& caller, std::uint64_t since, std::size_t limit, bool with_ciphertexts) {
    require_role(caller, protocol::Role::auditor);
    if (limit == 0 || limit > protocol::max_audit_log_limit) {
        throw InputError("'limit' must be between 1 and " + std::to_string(protocol::max_audit_log_limit));
    }
    if (since > static_cast<std::uint64_t>(INT64_MAX)) {
        throw InputError("'since' is out of range; read the log from 0 or from a 'next' the server gave");
    }
    const AuditRows page = store_.read_log(since, limit, protocol::audit_page_soft_bytes);

    std::size_t size = 96;
    for (const auto& row : page.rows) size += row.envelope.size() + 128;
    std::string out;
    out.reserve(size);
    // Built by hand so that the envelopes go out as stored, never re-encoded
    // (as in a pull); the keys in the order nlohmann would sort them, so the
    // text reads as protocol::to_json(AuditLogPage) would write it.
    out += "{\"entries\":[";
    for (std::size_t i = 0; i < page.rows.size(); ++i) {
        const AuditRow& row = page.rows[i];
        if (i) out += ',';
        out += "{\"chain\":\"" + base64_encode(row.chain) + "\",\"change\":";
        if (with_ciphertexts) {
            out += row.envelope;
        } else {
            out += without_ciphertexts(row.envelope).envelope;
        }
        out += ",\"received_at\":" + std::to_string(row.received_at);
        out += ",\"server_seq\":" + std::to_string(row.server_seq) + "}";
    }
    out += "],\"last_seq\":" + std::to_string(page.last_seq);
    out += std::string(",\"more\":") + (page.more ? "true" : "false");
    out += ",\"next\":" + std::to_string(page.next) + "}";
    return out;
}

protocol::CheckpointList AuditService::checkpoints(const Caller& caller) {
    require_role(caller, protocol::Role::auditor);
    return {store_.checkpoints()};
}

Checkpoint AuditService::checkpoint_now(const Caller& caller) {
    require_role(caller, protocol::Role::auditor);
    return store_.checkpoint_now();
}

}  // namespace kim::server
