#include "store_meta.hpp"

#include <algorithm>

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server {

namespace {

constexpr const char* format_key = "format";
constexpr const char* format_value = "kimsync-server";
constexpr const char* created_at_key = "created_at";
constexpr const char* signing_key_key = "signing_key";
constexpr const char* public_key_key = "public_key";
constexpr const char* token_secret_key = "token_secret";

[[noreturn]] void damaged(const std::string& where, std::string_view what) {
    throw IntegrityError("the server store " + where + " lacks a valid '" + std::string(what) +
                         "' entry; it is damaged: restore it from a backup");
}

// Decodes a secret straight into wiped memory; the decoded copy is wiped too.
template <std::size_t N>
Secret<N> secret_from_base64(const std::string& where, std::string_view key, const std::string& text) {
    auto bytes = base64_decode(text);
    if (!bytes || bytes->size() != N) {
        if (bytes) secure_wipe(bytes->data(), bytes->size());
        damaged(where, key);
    }
    Secret<N> s;
    std::copy(bytes->begin(), bytes->end(), s.data());
    secure_wipe(bytes->data(), bytes->size());
    return s;
}

}  // namespace

NewStoreMeta::NewStoreMeta(std::int64_t created_at) {
    crypto::init();
    const auto keys = crypto::generate_signing_key();
    const Key32 token_secret = crypto::random_key();
    entries_.emplace_back(format_key, format_value);
    entries_.emplace_back(created_at_key, std::to_string(created_at));
    entries_.emplace_back(signing_key_key, base64_encode(keys.secret_key.span()));
    entries_.emplace_back(token_secret_key, base64_encode(token_secret.span()));
    entries_.emplace_back(public_key_key, base64_encode(keys.public_key));
}

NewStoreMeta::~NewStoreMeta() {
    for (auto& [key, value] : entries_) secure_wipe(value.data(), value.size());
}

ServerSecrets load_store_secrets(const std::function<std::optional<std::string>(std::string_view)>& get,
                                 const std::string& where) {
    if (get(format_key) != std::string(format_value)) {
        throw InputError(where + " is not a kim-server store; choose the right one with --data or --store");
    }
    ServerSecrets s;
    auto signing = get(signing_key_key);
    auto token = get(token_secret_key);
    const auto public_key = get(public_key_key);
    if (!signing) damaged(where, signing_key_key);
    if (!token) damaged(where, token_secret_key);
    if (!public_key) damaged(where, public_key_key);
    s.signing_key = secret_from_base64<crypto::secret_key_size>(where, signing_key_key, *signing);
    s.token_secret = secret_from_base64<32>(where, token_secret_key, *token);
    secure_wipe(signing->data(), signing->size());
    secure_wipe(token->data(), token->size());
    const auto pk = base64_decode_fixed<crypto::public_key_size>(*public_key);
    if (!pk || *pk != crypto::public_key_of(s.signing_key)) damaged(where, public_key_key);
    s.public_key = *pk;
    return s;
}

}  // namespace kim::server
