// Fixed keys, signed changes and scratch folders of the fuzz targets.
#include "fuzz_support.hpp"

#include <sodium.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/ids.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::fuzz {

namespace fs = std::filesystem;

namespace {

crypto::SigningKeyPair key_from_seed_bytes(const std::uint8_t* seed) {
    crypto::SigningKeyPair pair;
    if (crypto_sign_seed_keypair(pair.public_key.data(), pair.secret_key.data(), seed) != 0) {
        throw std::runtime_error("crypto_sign_seed_keypair failed");
    }
    return pair;
}

Hash32 label_hash(std::string_view label) {
    crypto::init();
    return crypto::blake2b256(as_bytes(label));
}

}  // namespace

crypto::SigningKeyPair fixed_key(std::string_view label) {
    const Hash32 seed = label_hash("kimsync fuzz key: " + std::string(label));
    return key_from_seed_bytes(seed.data());
}

crypto::SigningKeyPair key_from_seed(std::string_view seed_base64) {
    crypto::init();
    const auto seed = base64_decode_fixed<crypto_sign_SEEDBYTES>(seed_base64);
    if (!seed) throw std::runtime_error("a key seed must be base64 of 32 bytes");
    return key_from_seed_bytes(seed->data());
}

Key32 fixed_site_key() {
    const Hash32 h = label_hash("kimsync fuzz site key: fz-site");
    Key32 key;
    std::copy(h.begin(), h.end(), key.data());
    return key;
}

std::uint64_t fixed_hlc(std::uint64_t counter) { return hlc_pack(1'767'225'600'000, counter); }

Bytes fake_ciphertext(std::string_view label, std::size_t size) {
    Bytes out;
    std::uint64_t block = 0;
    while (out.size() < size) {
        const Hash32 h = label_hash("ciphertext " + std::string(label) + " " + std::to_string(block++));
        out.insert(out.end(), h.begin(), h.end());
    }
    out.resize(size);
    return out;
}

FieldOp clear_op(std::string field, std::string value, std::vector<std::string> parents) {
    FieldOp op;
    op.field = std::move(field);
    op.parents = std::move(parents);
    op.value = std::move(value);
    return op;
}

FieldOp secret_op(std::string field, std::vector<std::string> parents) {
    FieldOp op;
    op.ct = fake_ciphertext(field + "/" + std::to_string(parents.size()));
    op.field = std::move(field);
    op.parents = std::move(parents);
    op.ct_hash = crypto::blake2b256(*op.ct);
    return op;
}

ChangeChain::ChangeChain(std::string origin, crypto::SigningKeyPair key)
    : origin_(std::move(origin)), key_(std::move(key)) {}

Change ChangeChain::next(const std::string& record, const std::string& kind, std::vector<FieldOp> ops) {
    Change c;
    c.origin = origin_;
    c.seq = ++seq_;
    c.site = site;
    c.record = record;
    c.kind = kind;
    c.hlc = fixed_hlc(c.seq);
    c.ops = std::move(ops);
    c.prev = prev_;
    seal_change(c, key_.secret_key);
    prev_ = change_hash(c);
    return c;
}

std::vector<Change> sample_changes(ChangeChain& chain) {
    const std::string case_id = "0f4a2b9c-1d3e-4f56-8a7b-9c0d1e2f3a4b";
    const std::string goal_id = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d";
    const std::string contact_id = "2b3c4d5e-6f7a-4b9c-8d1e-2f3a4b5c6d7e";
    const std::string first = change_id(chain.origin(), 1);
    std::vector<Change> out;
    out.push_back(chain.next(case_id, "case",
                             {secret_op("_key"), secret_op("name"), secret_op("birth_date"), clear_op("phase", "intake"),
                              clear_op("opened_quarter", "2026-Q1"), clear_op("sex", "female"), clear_op("need.wohnen", "2")}));
    out.push_back(chain.next(goal_id, "goal",
                             {clear_op("case", case_id), secret_op("text"), clear_op("field", "wohnen"),
                              clear_op("status", "open")}));
    out.push_back(chain.next(case_id, "case", {clear_op("phase", "assessment", {first}), secret_op("address", {first})}));
    out.push_back(chain.next(contact_id, "contact",
                             {clear_op("case", case_id), secret_op("text"), secret_op("date"), clear_op("mode", "phone"),
                              clear_op("minutes_band", "15_30")}));
    FieldOp erased;
    erased.field = std::string(field_erased);
    erased.value = true;
    out.push_back(chain.next(goal_id, "goal", {erased}));
    return out;
}

std::vector<Change> server_changes(ChangeChain& chain) {
    std::vector<Change> out;
    const char* phases[] = {"intake", "intake", "planning", "closed"};
    for (std::size_t i = 0; i < 4; ++i) {
        out.push_back(chain.next(server_case_ids[i], "case",
                                 {secret_op("_key"), secret_op("name"), clear_op("phase", phases[i]),
                                  clear_op("opened_quarter", "2026-Q1"), clear_op("sex", i % 2 ? "male" : "female"),
                                  clear_op("need.wohnen", "2")}));
    }
    out.push_back(chain.next("7a8b9c1d-2e3f-4a4b-8c5d-6e7f8a9b1c2d", "goal",
                             {clear_op("case", server_case_ids[0]), secret_op("text"), clear_op("field", "wohnen"),
                              clear_op("status", "open")}));
    return out;
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

namespace {

// Removes the scratch folders when the process ends normally (libFuzzer
// returns from main after -max_total_time and -runs).
struct ScratchFolders {
    std::mutex mutex;
    std::vector<fs::path> folders;
    ~ScratchFolders() {
        for (const auto& f : folders) {
            std::error_code ignored;
            fs::remove_all(f, ignored);
        }
    }
};

ScratchFolders& scratch_folders() {
    static ScratchFolders instance;
    return instance;
}

}  // namespace

fs::path scratch_folder(std::string_view prefix) {
    auto& registry = scratch_folders();
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a scratch folder under " + base.string());
    const std::lock_guard lock(registry.mutex);
    registry.folders.emplace_back(pattern);
    return registry.folders.back();
}

}  // namespace kim::fuzz
