// Hand-made protocol traffic for the integration tests.
#include "protocol_client.hpp"

#include <stdexcept>

#include "kim/shared/base64.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::test {

using nlohmann::json;

std::string new_record_id() { return random_uuid(); }

ProtocolClient::ProtocolClient(int port, std::string identity, std::string site)
    : port_(port), identity_(std::move(identity)), site_(std::move(site)), key_(crypto::generate_signing_key()) {}

std::string ProtocolClient::public_key_base64() const { return base64_encode(key_.public_key); }

HttpResponse ProtocolClient::try_authenticate(const crypto::SigningKeyPair& key) {
    const HttpResponse ch = http_request(port_, "POST", protocol::path_challenge, json{{"identity", identity_}}.dump());
    if (ch.status != 200) return ch;
    const std::string challenge = ch.json().at("challenge").get<std::string>();
    const std::string message = protocol::auth_message(identity_, challenge);
    const auto sig = crypto::sign(key.secret_key, as_bytes(message));
    const json body{{"identity", identity_}, {"challenge", challenge}, {"signature", base64_encode(sig)}};
    return http_request(port_, "POST", protocol::path_token, body.dump());
}

void ProtocolClient::authenticate() {
    const HttpResponse r = try_authenticate(key_);
    if (r.status != 200) throw std::runtime_error("authentication of " + identity_ + " failed: " + r.body);
    token_ = r.json().at("token").get<std::string>();
}

Change ProtocolClient::next_case_change(std::string_view phase) {
    Change c;
    c.origin = identity_;
    c.seq = seq_ + 1;
    c.site = site_;
    c.record = new_record_id();
    c.kind = "case";
    c.hlc = hlc_pack(system_millis(), 0);
    FieldOp ph;
    ph.field = "phase";
    ph.value = std::string(phase);
    FieldOp name;
    name.field = "name";
    const Key32 case_key = crypto::random_key();
    name.ct = crypto::aead_encrypt(case_key, as_bytes("Synthetische Person"),
                                   field_associated_data(c.origin, c.seq, c.record, "name"));
    c.ops = {name, ph};
    c.prev = prev_;
    return c;
}

void ProtocolClient::seal_and_advance(Change& c) {
    seal_change(c, key_.secret_key);
    seq_ = c.seq;
    prev_ = change_hash(c);
}

HttpResponse ProtocolClient::push(const std::vector<Change>& changes) {
    json arr = json::array();
    for (const auto& c : changes) arr.push_back(change_to_json(c));
    return push_json(arr);
}

HttpResponse ProtocolClient::push_json(const json& changes_array) {
    return push_body(json{{"changes", changes_array}}.dump());
}

HttpResponse ProtocolClient::push_body(const std::string& body) {
    return http_request(port_, "POST", protocol::path_push, body, {{"Authorization", "Bearer " + token_}});
}

HttpResponse ProtocolClient::pull(std::uint64_t since, std::size_t limit) {
    const std::string target =
        std::string(protocol::path_pull) + "?since=" + std::to_string(since) + "&limit=" + std::to_string(limit);
    return http_request(port_, "GET", target, "", {{"Authorization", "Bearer " + token_}});
}

std::vector<json> ProtocolClient::pull_all(std::uint64_t since) {
    std::vector<json> all;
    for (;;) {
        const HttpResponse r = pull(since);
        if (r.status != 200) throw std::runtime_error("pull failed: HTTP " + std::to_string(r.status) + " " + r.body);
        const json page = r.json();
        for (const auto& c : page.at("changes")) all.push_back(c);
        since = page.at("next").get<std::uint64_t>();
        if (!page.at("more").get<bool>()) return all;
    }
}

}  // namespace kim::test
