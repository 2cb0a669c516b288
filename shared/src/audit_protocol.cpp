// The auditor's messages (kim/shared/audit_protocol.hpp, docs/protocol.md "Audit").
#include "kim/shared/audit_protocol.hpp"

#include "kim/shared/errors.hpp"
#include "message_reader.hpp"

namespace kim::protocol {

json to_json(const AuditReplicaKey& m) {
    json j = {{"id", m.id}, {"site", m.site}, {"public_key", m.public_key}, {"enrolled_at", m.enrolled_at}};
    if (m.revoked_at) j["revoked_at"] = *m.revoked_at;
    return j;
}

json to_json(const AuditKeys& m) {
    json replicas = json::array();
    for (const auto& r : m.replicas) replicas.push_back(to_json(r));
    return {{"server_key", m.server_key}, {"replicas", std::move(replicas)}};
}

json to_json(const AuditLogEntry& m) {
    return {{"server_seq", m.server_seq}, {"received_at", m.received_at}, {"chain", m.chain}, {"change", m.change}};
}

json to_json(const AuditLogPage& m) {
    json entries = json::array();
    for (const auto& e : m.entries) entries.push_back(to_json(e));
    return {{"entries", std::move(entries)}, {"next", m.next}, {"more", m.more}, {"last_seq", m.last_seq}};
}

json to_json(const CheckpointList& m) {
    json list = json::array();
    for (const auto& c : m.checkpoints) list.push_back(kim::to_json(c));
    return {{"checkpoints", std::move(list)}};
}

AuditKeys audit_keys_from_json(const json& j) {
    const Reader r(j, "the audit keys", {"server_key", "replicas"});
    AuditKeys m;
    m.server_key = r.string("server_key");
    for (const auto& item : r.array("replicas")) {
        const Reader ri(item, "an enrolled replica", {"id", "site", "public_key", "enrolled_at", "revoked_at"});
        AuditReplicaKey k;
        k.id = ri.string("id");
        k.site = ri.string("site");
        k.public_key = ri.string("public_key");
        k.enrolled_at = ri.integer("enrolled_at");
        if (ri.has("revoked_at")) k.revoked_at = ri.integer("revoked_at");
        m.replicas.push_back(std::move(k));
    }
    return m;
}

AuditLogPage audit_log_page_from_json(const json& j) {
    const Reader r(j, "the audit log page", {"entries", "next", "more", "last_seq"});
    AuditLogPage m;
    for (const auto& item : r.array("entries")) {
        const Reader ri(item, "an audit log entry", {"server_seq", "received_at", "chain", "change"});
        AuditLogEntry e;
        e.server_seq = ri.unsigned_integer("server_seq");
        e.received_at = ri.integer("received_at");
        e.chain = ri.string("chain");
        e.change = ri.required("change");
        m.entries.push_back(std::move(e));
    }
    m.next = r.unsigned_integer("next");
    m.more = r.boolean("more");
    m.last_seq = r.unsigned_integer("last_seq");
    return m;
}

CheckpointList checkpoint_list_from_json(const json& j) {
    const Reader r(j, "the checkpoint list", {"checkpoints"});
    CheckpointList m;
    for (const auto& item : r.array("checkpoints")) m.checkpoints.push_back(checkpoint_from_json(item));
    return m;
}

}  // namespace kim::protocol
