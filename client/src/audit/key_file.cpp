// The auditor's key file (key_file.hpp).
#include "kim/audit/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::audit {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uintmax_t max_key_file_bytes = 64 * 1024;

void check_name(const std::string& name) {
    if (!is_valid_name(name)) {
        throw InputError("the auditor's name must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or "
                         "digit (it is the name the administrator enrols)");
    }
}

// The Ed25519 key pair derived from the secret key's seed has this public key.
bool seed_derives_public_key(const crypto::SigningSecret& secret, const crypto::PublicKey& public_key) {
    unsigned char seed[crypto_sign_SEEDBYTES];
    unsigned char derived_secret[crypto_sign_SECRETKEYBYTES];
    crypto::PublicKey derived{};
    crypto_sign_ed25519_sk_to_seed(seed, secret.data());
    const bool made = crypto_sign_seed_keypair(derived.data(), derived_secret, seed) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(derived_secret, sizeof derived_secret);
    return made && sodium_memcmp(derived.data(), public_key.data(), derived.size()) == 0;
}

}  // namespace

AuditorKey generate_auditor_key(const std::string& name) {
    check_name(name);
    crypto::SigningKeyPair pair = crypto::generate_signing_key();
    return {name, pair.public_key, pair.secret_key};
}

void write_key_file(const fs::path& file, const AuditorKey& key) {
    std::string text = json{{"kind", key_file_kind},
                            {"version", key_file_version},
                            {"name", key.name},
                            {"public_key", base64_encode(key.public_key)},
                            {"secret_key", base64_encode(key.secret_key.span())}}
                           .dump(2);
    text += "\n";
    // O_EXCL: an existing key may be the one enrolled; replacing it would lock the auditor out.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
        throw StateError(file.string() + " exists already; kim-audit never overwrites a key file (it may hold the "
                         "enrolled key). Choose another --out, or remove the old file if it is certainly unused");
    }
    if (fd < 0) throw Error("cannot create " + file.string() + ": " + std::strerror(errno) + "; check the folder");
    std::size_t done = 0;
    bool failed = false;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            failed = true;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    failed = failed || ::fsync(fd) != 0;
    const int err = errno;
    ::close(fd);
    secure_wipe(text.data(), text.size());
    if (failed) {
        ::unlink(file.c_str());
        throw Error("cannot write " + file.string() + ": " + std::strerror(err));
    }
}

AuditorKey read_key_file(const fs::path& file) {
    // One descriptor for everything: the checks are of the file actually read
    // (no window for a swap between checking a path and opening it).
    // O_NONBLOCK: a FIFO put in its place must not hang the run.
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            throw NotFoundError("no key file " + file.string() + "; create one with `kim-audit keygen --out " +
                                file.string() + "`");
        }
        throw InputError("cannot read the key file " + file.string() + ": " + std::strerror(errno));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        throw InputError("cannot read the key file " + file.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode) || static_cast<std::uintmax_t>(st.st_size) > max_key_file_bytes) {
        throw InputError(file.string() + " is not a kim-audit key file");
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        throw AuthError("the key file " + file.string() + " may be read by others; make it private with `chmod 600 " +
                        file.string() + "` (and enrol a new key if others could have copied it)");
    }
    std::string text;
    text.reserve(static_cast<std::size_t>(st.st_size) + 4096);  // no reallocation leaves copies of the secret behind
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            secure_wipe(text.data(), text.size());
            throw InputError("cannot read the key file " + file.string() + ": " + std::strerror(err));
        }
        if (n == 0) break;
        if (text.size() + static_cast<std::size_t>(n) > max_key_file_bytes) {
            secure_wipe(text.data(), text.size());
            throw InputError(file.string() + " is not a kim-audit key file");
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    secure_wipe(buffer, sizeof buffer);
    const json j = parse_untrusted_json(text, "the key file " + file.string());
    secure_wipe(text.data(), text.size());
    const std::string what = file.string() + " is not a kim-audit key file";
    if (!j.is_object() || j.value("kind", "") != key_file_kind) throw InputError(what);
    if (j.value("version", 0) != key_file_version) {
        throw InputError(what + " of version " + std::to_string(key_file_version) + "; use the kim-audit that wrote it");
    }
    for (const auto& [k, v] : j.items()) {
        if (k != "kind" && k != "version" && k != "name" && k != "public_key" && k != "secret_key") {
            throw InputError(what + ": unknown key '" + k.substr(0, 64) + "'");
        }
    }
    AuditorKey key;
    if (!j.contains("name") || !j.at("name").is_string()) throw InputError(what + ": 'name' is missing");
    key.name = j.at("name").get<std::string>();
    check_name(key.name);
    const auto text_of = [&](const char* k) -> std::string {
        if (!j.contains(k) || !j.at(k).is_string()) throw InputError(what + ": '" + k + "' is missing");
        return j.at(k).get<std::string>();
    };
    const auto pub = base64_decode_fixed<crypto::public_key_size>(text_of("public_key"));
    if (!pub) throw InputError(what + ": 'public_key' is not base64 of 32 bytes");
    auto secret = base64_decode_fixed<crypto::secret_key_size>(text_of("secret_key"));
    if (!secret) throw InputError(what + ": 'secret_key' is not base64 of 64 bytes");
    std::copy(secret->begin(), secret->end(), key.secret_key.data());
    secure_wipe(secret->data(), secret->size());
    key.public_key = *pub;
    if (crypto::public_key_of(key.secret_key) != key.public_key) {
        throw InputError(what + ": its public and secret keys do not belong together (the file was altered)");
    }
    // The secret key is seed ‖ public key: its second half matching says
    // nothing about the seed, which is what signs. A seed that does not
    // derive the public key would sign sign-ins the server refuses, and the
    // auditor would be told to enrol a key that is enrolled already.
    if (!seed_derives_public_key(key.secret_key, key.public_key)) {
        throw InputError("the key file " + file.string() +
                         " is damaged: its secret key does not derive its public key. Restore it from a backup; "
                         "otherwise make a new key with `kim-audit keygen` and have an administrator enrol it "
                         "(and remove the old one)");
    }
    return key;
}

std::string enrol_command(const AuditorKey& key) {
    return "kim-server --data DIR user add " + key.name + " --role auditor --pubkey " + base64_encode(key.public_key);
}

}  // namespace kim::audit
