// The in-process server log of the audit tests (audit_log_fixture.hpp).
#include "audit_log_fixture.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "kim/shared/base64.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/ids.hpp"

namespace kim::test {

using nlohmann::json;

namespace {

Hash32 chain_of(const protocol::AuditLogEntry& e) {
    const auto h = base64_decode_fixed<32>(e.chain);
    if (!h) throw std::runtime_error("a test entry without a chain");
    return *h;
}

}  // namespace

AuditLog::AuditLog() { keys.server_key = base64_encode(server_key.public_key); }

void AuditLog::enrol(const std::string& id, const std::string& site, const crypto::PublicKey& key, std::int64_t at) {
    keys.replicas.push_back({id, site, base64_encode(key), at, std::nullopt});
}

void AuditLog::enrol(client::Replica& replica) {
    keys.replicas.push_back({replica.replica_id(), replica.site(), replica.introduction().at("public_key").get<std::string>(),
                             enrolled_time, std::nullopt});
}

void AuditLog::append(const json& change, std::int64_t received_at) {
    const Hash32 previous = entries.empty() ? zero_hash : chain_of(entries.back());
    const Change c = change_from_json(change);
    protocol::AuditLogEntry e;
    e.server_seq = entries.size() + 1;
    e.received_at = received_at;
    e.chain = base64_encode(audit::chain_step(previous, change_hash(c)));
    e.change = change;
    entries.push_back(std::move(e));
    ids.insert(c.id());
}

void AuditLog::append_new(client::Replica& replica) {
    std::vector<json> fresh;
    const json file = replica.export_changes();  // kept alive: the loop walks a part of it
    for (const auto& c : file.at("changes")) {
        const std::string id = c.at("origin").get<std::string>() + ":" + std::to_string(c.at("seq").get<std::uint64_t>());
        if (!ids.count(id)) fresh.push_back(c);
    }
    std::sort(fresh.begin(), fresh.end(), [](const json& a, const json& b) {
        return std::make_tuple(a.at("origin").get<std::string>(), a.at("seq").get<std::uint64_t>()) <
               std::make_tuple(b.at("origin").get<std::string>(), b.at("seq").get<std::uint64_t>());
    });
    for (const auto& c : fresh) append(c);
}

void AuditLog::checkpoint(std::int64_t time) {
    const Hash32 chain = entries.empty() ? zero_hash : chain_of(entries.back());
    checkpoints.push_back(sign_checkpoint(length(), chain, time, server_key.secret_key));
}

void AuditLog::restamp() {
    Hash32 chain = zero_hash;
    for (auto& e : entries) {
        chain = audit::chain_step(chain, change_hash(change_from_json(e.change)));
        e.chain = base64_encode(chain);
    }
}

void AuditLog::renumber() {
    for (std::size_t i = 0; i < entries.size(); ++i) entries[i].server_seq = i + 1;
}

std::size_t AuditLog::index_of(const std::string& id) const {
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const json& c = entries[i].change;
        if (c.at("origin").get<std::string>() + ":" + std::to_string(c.at("seq").get<std::uint64_t>()) == id) return i;
    }
    throw std::runtime_error("no change " + id + " in the test log");
}

Verified verify(const AuditLog& log, RunOptions o) {
    audit::Verifier v(log.keys, o.state, audit::VerifierOptions{.threads = o.threads, .incremental = o.incremental});
    v.add_checkpoints(log.checkpoints);
    // Like the server: the entries after `since`, by server seq.
    std::vector<protocol::AuditLogEntry> after;
    for (const auto& e : log.entries) {
        if (e.server_seq > v.start_after()) after.push_back(e);
    }
    for (std::size_t i = 0; i < after.size(); i += o.page) {
        const auto end = after.begin() + static_cast<std::ptrdiff_t>(std::min(after.size(), i + o.page));
        v.add_entries({after.begin() + static_cast<std::ptrdiff_t>(i), end});
    }
    const std::uint64_t last = log.entries.empty() ? 0 : log.entries.back().server_seq;
    Verified run;
    run.report = v.finish(last);
    run.state = v.state();
    return run;
}

std::vector<audit::Failure> failures_of(const audit::Report& report, const std::string& fault) {
    std::vector<audit::Failure> out;
    for (const auto& f : report.failures) {
        if (f.fault == fault) out.push_back(f);
    }
    return out;
}

std::string describe(const audit::Report& report) {
    return audit::format_report(report, 50);
}

}  // namespace kim::test

namespace kim::test {

json RawOrigin::make(std::uint64_t at_seq, const Hash32& previous, const crypto::SigningSecret* signer) const {
    Change c;
    c.origin = id;
    c.seq = at_seq;
    c.site = site;
    c.record = random_uuid();
    c.kind = "case";
    c.hlc = (std::uint64_t{1'700'000'000'000} + at_seq) << 16;
    FieldOp phase;
    phase.field = "phase";
    phase.value = "intake";
    c.ops.push_back(phase);
    c.prev = previous;
    seal_change(c, signer ? *signer : key.secret_key);
    return change_to_json(c);
}

json RawOrigin::next() {
    json j = make(seq + 1, prev);
    ++seq;
    prev = change_hash(change_from_json(j));
    return j;
}

}  // namespace kim::test
