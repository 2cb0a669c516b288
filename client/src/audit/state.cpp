// The state file of `kim-audit verify --state` as JSON (state.hpp).
#include "kim/audit/state.hpp"

#include <cstdint>

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::audit {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& what) {
    throw InputError("the audit state " + what);
}

const json& member(const json& j, const char* key, const std::string& where) {
    if (!j.is_object()) bad(where + " is not a JSON object");
    const auto it = j.find(key);
    if (it == j.end()) bad(where + " lacks '" + key + "'");
    return *it;
}

std::uint64_t unsigned_of(const json& j, const std::string& where) {
    if (!j.is_number_unsigned()) bad(where + " is not a non-negative integer");
    return j.get<std::uint64_t>();
}

const std::string& string_of(const json& j, const std::string& where) {
    if (!j.is_string()) bad(where + " is not a string");
    return j.get_ref<const std::string&>();
}

Hash32 hash_of(const json& j, const std::string& where) {
    const auto h = base64_decode_fixed<32>(string_of(j, where));
    if (!h) bad(where + " is not base64 of 32 bytes");
    return *h;
}

bool flag_of(const json& j, const char* key, const std::string& where) {
    const auto it = j.find(key);
    if (it == j.end()) return false;
    if (!it->is_boolean()) bad(where + "." + key + " is not true or false");
    return it->get<bool>();
}

std::int64_t integer_of(const json& j, const std::string& where) {
    if (j.is_number_unsigned()) {
        if (j.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) bad(where + " is out of range");
        return static_cast<std::int64_t>(j.get<std::uint64_t>());
    }
    if (!j.is_number_integer()) bad(where + " is not an integer");
    return j.get<std::int64_t>();
}

const json& array_of(const json& j, const std::string& where) {
    if (!j.is_array()) bad(where + " is not an array");
    return j;
}

const json& object_of(const json& j, const std::string& where) {
    if (!j.is_object()) bad(where + " is not a JSON object");
    return j;
}

json replica_to_json(const PinnedReplica& r) {
    json j = {{"key", base64_encode(r.key)}, {"site", r.site}, {"enrolled_at", r.enrolled_at}};
    if (r.revoked_at) j["revoked_at"] = *r.revoked_at;
    return j;
}

PinnedReplica replica_from_json(const json& j, const std::string& where) {
    object_of(j, where);
    PinnedReplica r;
    const auto k = base64_decode_fixed<crypto::public_key_size>(string_of(member(j, "key", where), where + ".key"));
    if (!k) bad(where + ".key is not base64 of 32 bytes");
    r.key = *k;
    r.site = string_of(member(j, "site", where), where + ".site");
    r.enrolled_at = integer_of(member(j, "enrolled_at", where), where + ".enrolled_at");
    if (j.contains("revoked_at")) r.revoked_at = integer_of(j.at("revoked_at"), where + ".revoked_at");
    return r;
}

json case_to_json(const CaseFacts& f) {
    json j = json::object();
    if (f.created) j["created"] = true;
    if (f.erased) j["erased"] = true;
    if (f.consent_hlc) j["consent_hlc"] = *f.consent_hlc;
    if (f.first_operation) {
        const CaseOperation& o = *f.first_operation;
        j["first"] = json::array({o.hlc, o.origin, o.seq, o.server_seq});
    }
    if (!f.records.empty()) j["records"] = f.records;
    return j;
}

CaseFacts case_from_json(const json& j, const std::string& where) {
    if (!j.is_object()) bad(where + " is not a JSON object");
    CaseFacts f;
    f.created = flag_of(j, "created", where);
    f.erased = flag_of(j, "erased", where);
    if (j.contains("consent_hlc")) f.consent_hlc = unsigned_of(j.at("consent_hlc"), where + ".consent_hlc");
    if (j.contains("first")) {
        const json& a = array_of(j.at("first"), where + ".first");
        if (a.size() != 4) bad(where + ".first does not have 4 items");
        CaseOperation o;
        o.hlc = unsigned_of(a[0], where + ".first");
        o.origin = string_of(a[1], where + ".first");
        o.seq = unsigned_of(a[2], where + ".first");
        o.server_seq = unsigned_of(a[3], where + ".first");
        f.first_operation = std::move(o);
    }
    if (j.contains("records")) {
        for (const auto& r : array_of(j.at("records"), where + ".records")) f.records.push_back(string_of(r, where + ".records"));
    }
    return f;
}

}  // namespace

json to_json(const AuditState& s) {
    json checkpoints = json::array();
    for (const auto& [seq, chain] : s.checkpoints) checkpoints.push_back(json::array({seq, base64_encode(chain)}));
    json origins = json::object();
    for (const auto& [id, tip] : s.origins) {
        json o = {{"seq", tip.seq}, {"hash", base64_encode(tip.hash)}};
        if (!tip.missing.empty()) {
            json missing = json::array();
            for (const auto& [first, last] : tip.missing) missing.push_back(json::array({first, last}));
            o["missing"] = std::move(missing);
        }
        origins[id] = std::move(o);
    }
    json replicas = json::object();
    for (const auto& [id, r] : s.replicas) replicas[id] = replica_to_json(r);
    // By site, then case (record ids are unique per site only).
    json cases = json::object();
    for (const auto& [key, facts] : s.cases) cases[key.first][key.second] = case_to_json(facts);
    json erased = json::object();
    for (const auto& [site, record] : s.erased_records) {
        json& list = erased[site];
        if (list.is_null()) list = json::array();
        list.push_back(record);
    }
    json j = {{"kind", state_kind},
              {"version", state_version},
              {"server_seq", s.server_seq},
              {"chain", base64_encode(s.chain)},
              {"last_hash", base64_encode(s.last_hash)},
              {"changes", s.changes},
              {"checkpoints", std::move(checkpoints)},
              {"checkpoint_time", s.checkpoint_time},
              {"replicas", std::move(replicas)},
              {"origins", std::move(origins)},
              {"cases", std::move(cases)},
              {"erased", std::move(erased)}};
    if (s.server_key) j["server_key"] = base64_encode(*s.server_key);
    return j;
}

AuditState audit_state_from_json(const json& j) {
    const auto kind = j.is_object() ? j.find("kind") : j.end();
    if (!j.is_object() || kind == j.end() || !kind->is_string() || kind->get_ref<const std::string&>() != state_kind) {
        bad("file is not a kim-audit state file");
    }
    const auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer() || version->get<std::int64_t>() != state_version) {
        bad("file is not of version " + std::to_string(state_version) + ", the one this kim-audit reads");
    }
    AuditState s;
    if (j.contains("server_key")) {
        const auto k = base64_decode_fixed<crypto::public_key_size>(string_of(j.at("server_key"), "server_key"));
        if (!k) bad("server_key is not base64 of 32 bytes");
        s.server_key = *k;
    }
    s.server_seq = unsigned_of(member(j, "server_seq", "file"), "server_seq");
    s.chain = hash_of(member(j, "chain", "file"), "chain");
    s.last_hash = hash_of(member(j, "last_hash", "file"), "last_hash");
    s.changes = unsigned_of(member(j, "changes", "file"), "changes");
    for (const auto& c : array_of(member(j, "checkpoints", "file"), "checkpoints")) {
        if (!c.is_array() || c.size() != 2) bad("checkpoints hold an item that is not [seq, chain]");
        s.checkpoints[unsigned_of(c[0], "a checkpoint's seq")] = hash_of(c[1], "a checkpoint's chain");
    }
    s.checkpoint_time = integer_of(member(j, "checkpoint_time", "file"), "checkpoint_time");
    for (const auto& [id, r] : object_of(member(j, "replicas", "file"), "replicas").items()) {
        s.replicas.emplace(id, replica_from_json(r, "a replica"));
    }
    std::size_t ranges = 0;
    for (const auto& [id, o] : object_of(member(j, "origins", "file"), "origins").items()) {
        OriginTip tip;
        tip.seq = unsigned_of(member(o, "seq", "origin"), "an origin's seq");
        tip.hash = hash_of(member(o, "hash", "origin"), "an origin's hash");
        if (o.contains("missing")) {
            for (const auto& m : array_of(o.at("missing"), "an origin's missing")) {
                if (!m.is_array() || m.size() != 2) bad("an origin's missing holds an item that is not [first, last]");
                const std::uint64_t first = unsigned_of(m[0], "missing");
                const std::uint64_t last = unsigned_of(m[1], "missing");
                if (last < first || last >= tip.seq) bad("an origin's missing holds a range that is not below its seq");
                tip.missing[first] = last;
                if (++ranges > max_missing_ranges) bad("holds more missing ranges than kim-audit keeps");
            }
        }
        s.origins.emplace(id, std::move(tip));
    }
    for (const auto& [site, of_site] : object_of(member(j, "cases", "file"), "cases").items()) {
        for (const auto& [id, c] : object_of(of_site, "a site's cases").items()) {
            s.cases.emplace(SiteRecord{site, id}, case_from_json(c, "a case"));
        }
    }
    for (const auto& [site, records] : object_of(member(j, "erased", "file"), "erased").items()) {
        for (const auto& r : array_of(records, "erased")) s.erased_records.emplace(site, string_of(r, "erased"));
    }
    return s;
}

}  // namespace kim::audit
