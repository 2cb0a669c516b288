// The auditor's key file: an Ed25519 key pair that signs in to the server as
// an enrolled auditor. It opens no case: an auditor holds no site key.
//   {"kind": "kimsync-auditor-key", "version": 1, "name": NAME,
//    "public_key": base64 (32 bytes), "secret_key": base64 (64 bytes)}
#pragma once

#include <filesystem>
#include <string>

#include "kim/shared/crypto.hpp"

namespace kim::audit {

inline constexpr std::string_view key_file_kind = "kimsync-auditor-key";
inline constexpr int key_file_version = 1;
inline constexpr std::string_view default_auditor_name = "auditor";

struct AuditorKey {
    std::string name;  // the identity enrolled on the server
    crypto::PublicKey public_key{};
    crypto::SigningSecret secret_key;
};

// A fresh key pair. InputError when `name` is not a valid identity.
AuditorKey generate_auditor_key(const std::string& name);
// Creates `file` with mode 0600; StateError when it exists already (a key
// is never overwritten: the old one may be enrolled), kim::Error when it
// cannot be written.
void write_key_file(const std::filesystem::path& file, const AuditorKey& key);
// NotFoundError when missing; InputError when it is not a key file or its
// halves do not belong together; AuthError when others may read it.
AuditorKey read_key_file(const std::filesystem::path& file);

// The command an administrator runs to enrol this auditor.
std::string enrol_command(const AuditorKey& key);

}  // namespace kim::audit
