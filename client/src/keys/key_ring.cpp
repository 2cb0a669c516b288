// Sealing and opening the replica's keys, introductions and the join bundle.
#include "key_ring.hpp"

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::client {

namespace {

std::string purpose(std::string_view what, std::string_view owner) {
    return "kimsync/v1/" + std::string(what) + "/" + std::string(owner);
}

constexpr std::string_view bundle_format = "kimsync-site-key";

std::string introduction_message(std::string_view site, std::string_view replica, const crypto::PublicKey& public_key) {
    return "kimsync-introduction/v1\n" + std::string(site) + "\n" + std::string(replica) + "\n" + base64_encode(public_key);
}

}  // namespace

nlohmann::json seal_key_ring(const KeyRing& keys, std::string_view replica, std::string_view passphrase,
                             const KdfParams& params) {
    const Bytes salt = new_salt();
    const Key32 wrap = derive_passphrase_key(passphrase, salt, params);
    return {{"kdf", "argon2id13"},
            {"salt", base64_encode(salt)},
            {"opslimit", params.opslimit},
            {"memlimit", params.memlimit},
            {"site_key", base64_encode(seal_with_key(wrap, keys.site_key.span(), purpose("site-key", replica)))},
            {"signing_key", base64_encode(seal_with_key(wrap, keys.signing_key.span(), purpose("signing-key", replica)))}};
}

KeyRing open_key_ring(const nlohmann::json& sealed, std::string_view replica, std::string_view passphrase) {
    Bytes salt, site_sealed, sign_sealed;
    KdfParams params;
    try {
        auto s = base64_decode(sealed.at("salt").get<std::string>());
        auto a = base64_decode(sealed.at("site_key").get<std::string>());
        auto b = base64_decode(sealed.at("signing_key").get<std::string>());
        if (!s || !a || !b || sealed.at("kdf").get<std::string>() != "argon2id13") throw InputError("bad encoding");
        salt = std::move(*s);
        site_sealed = std::move(*a);
        sign_sealed = std::move(*b);
        params = {sealed.at("opslimit").get<std::uint64_t>(), sealed.at("memlimit").get<std::uint64_t>()};
    } catch (const std::exception&) {
        throw IntegrityError("the replica's sealed keys are damaged; restore the replica from a backup");
    }
    const Key32 wrap = derive_passphrase_key(passphrase, salt, params);
    KeyRing keys;
    Bytes site, sign;
    try {
        site = open_with_key(wrap, site_sealed, purpose("site-key", replica));
        sign = open_with_key(wrap, sign_sealed, purpose("signing-key", replica));
    } catch (const AuthError&) {
        throw AuthError("wrong passphrase for this replica: nothing was read or changed");
    }
    if (site.size() != keys.site_key.size() || sign.size() != keys.signing_key.size()) {
        throw IntegrityError("the replica's sealed keys have the wrong size; the replica is damaged");
    }
    std::copy(site.begin(), site.end(), keys.site_key.data());
    std::copy(sign.begin(), sign.end(), keys.signing_key.data());
    secure_wipe(site.data(), site.size());
    secure_wipe(sign.data(), sign.size());
    keys.public_key = crypto::public_key_of(keys.signing_key);
    return keys;
}

Hash32 introduction_mac(const Key32& site_key, std::string_view site, std::string_view replica,
                        const crypto::PublicKey& public_key) {
    const Key32 k = crypto::derive_subkey(site_key, 1, "kimintro");
    return crypto::mac(k, as_bytes(introduction_message(site, replica, public_key)));
}

bool introduction_valid(const Key32& site_key, std::string_view site, std::string_view replica,
                        const crypto::PublicKey& public_key, const Hash32& mac) {
    const Key32 k = crypto::derive_subkey(site_key, 1, "kimintro");
    return crypto::mac_verify(k, as_bytes(introduction_message(site, replica, public_key)), mac);
}

nlohmann::json seal_site_key_bundle(const Key32& site_key, std::string_view site, std::string_view passphrase,
                                    const KdfParams& params, const std::vector<std::string>& known_replicas) {
    const PassphraseSealed sealed = seal_with_passphrase(passphrase, site_key.span(), purpose("site-key-bundle", site), params);
    return {{"format", bundle_format}, {"version", 1},        {"site", site},
            {"sealed", to_json(sealed)},  {"known_replicas", known_replicas}};
}

std::vector<std::string> known_replicas_of_bundle(const nlohmann::json& bundle) {
    std::vector<std::string> out;
    const auto it = bundle.find("known_replicas");
    if (it == bundle.end() || !it->is_array()) return out;
    for (const auto& r : *it) {
        if (r.is_string()) out.push_back(r.get<std::string>());
    }
    return out;
}

Key32 open_site_key_bundle(const nlohmann::json& bundle, std::string_view expected_site, std::string_view passphrase) {
    try {
        if (!bundle.is_object() || bundle.value("format", "") != bundle_format) {
            throw InputError("this file is not a kimsync site key bundle (made by `kim key export`)");
        }
        if (bundle.value("version", 0) != 1) throw InputError("this site key bundle has an unknown version; update kim");
        const std::string site = bundle.value("site", "");
        if (site != expected_site) {
            throw InputError("the key bundle is for site '" + site + "', not '" + std::string(expected_site) + "'");
        }
        const PassphraseSealed sealed = passphrase_sealed_from_json(bundle.at("sealed"));
        Bytes raw;
        try {
            raw = open_with_passphrase(passphrase, sealed, purpose("site-key-bundle", site));
        } catch (const AuthError&) {
            throw AuthError("wrong passphrase for the key bundle: nothing was created");
        }
        Key32 key;
        if (raw.size() != key.size()) throw IntegrityError("the key bundle holds a key of the wrong size");
        std::copy(raw.begin(), raw.end(), key.data());
        secure_wipe(raw.data(), raw.size());
        return key;
    } catch (const nlohmann::json::exception&) {
        throw InputError("the key bundle is damaged or not a kimsync site key bundle; export it again with `kim key export`");
    }
}

}  // namespace kim::client
