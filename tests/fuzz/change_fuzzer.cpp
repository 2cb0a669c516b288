// kim_fuzz_change: the change envelope as every receiver reads it (the
// server's push, a replica's pull and import, the auditor): untrusted JSON
// text, the strict parser, the canonical bytes and hash, the signature, the
// ciphertext hashes and the catalogue rules (shared/src/change_json.cpp,
// change.cpp, change_rules.cpp).
//
// Two kinds of input:
//  - JSON text (the committed seeds: signed changes and broken ones). Every
//    envelope the parser accepts must write out as JSON that it accepts
//    again, with the same canonical bytes, hash and verdicts.
//  - a first byte below 0x09 (no JSON text starts so): one of the changes
//    signed below, mutated in a structured way chosen by the rest of the
//    input. Whatever still verifies with its signer's key and carries
//    ciphertexts that match their signed hashes must be the signed change
//    itself: any other outcome is a forgery that got through.
// A refusal is an InputError (CatalogueError for the rules); any other
// exception escapes and ends the run as a crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/change.hpp"
#include "kim/shared/change_rules.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace {

using nlohmann::json;
using namespace kim;

[[noreturn]] void fail(const std::string& what, const json& envelope) {
    std::fprintf(stderr, "kim_fuzz_change: %s\nenvelope: %s\n", what.c_str(),
                 envelope.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    std::abort();
}

struct Signer {
    std::string origin;
    crypto::SigningKeyPair key;
};

struct Fixture {
    std::vector<Signer> signers;
    std::vector<Change> originals;  // signed by signers[0] (fz-a), for the mutation mode
};

const Fixture& fixture() {
    static const Fixture f = [] {
        Fixture made;
        made.signers.push_back({fuzz::replica_a, fuzz::fixed_key(fuzz::replica_a)});
        made.signers.push_back({fuzz::replica_b, fuzz::fixed_key(fuzz::replica_b)});
        made.signers.push_back({fuzz::golden_origin, fuzz::key_from_seed(fuzz::golden_seed_base64)});
        fuzz::ChangeChain chain(fuzz::replica_a, made.signers.front().key);
        made.originals = fuzz::sample_changes(chain);
        return made;
    }();
    return f;
}

// The key of the change's origin when it is one of ours, else fz-a's (the
// signature check runs anyway, and fails).
const crypto::PublicKey& key_for(std::string_view origin) {
    for (const auto& s : fixture().signers) {
        if (s.origin == origin) return s.key.public_key;
    }
    return fixture().signers.front().key.public_key;
}

struct Verdicts {
    std::string canonical;
    Hash32 hash{};
    bool signature = false;
    bool ciphertexts = false;
    std::optional<CatalogueViolation> violation;
};

Verdicts judge(const Change& c) {
    Verdicts v;
    v.canonical = canonical_bytes(c);
    v.hash = change_hash(c);
    v.signature = verify_change_signature(c, key_for(c.origin));
    v.ciphertexts = ciphertexts_match_hashes(c);
    try {
        check_change_against_catalogue(Catalogue::builtin(), c);
    } catch (const CatalogueError& e) {
        v.violation = e.violation();
    }
    return v;
}

// What every accepted envelope must satisfy; returns its verdicts.
Verdicts check_accepted(const Change& c, const json& envelope) {
    const Verdicts v = judge(c);
    // The canonical bytes are compact JSON with sorted keys: parsing and
    // dumping them again gives them back unchanged.
    json reparsed;
    try {
        reparsed = json::parse(v.canonical);
    } catch (const json::exception&) {
        fail("the canonical bytes are not JSON", envelope);
    }
    if (reparsed.dump() != v.canonical) fail("the canonical bytes are not in canonical form", envelope);
    if (reparsed.contains("sig")) fail("the canonical bytes carry the signature", envelope);

    // What we write out, we read back as the same change (with and without ciphertexts).
    for (const bool with_ct : {true, false}) {
        const json written = change_to_json(c, with_ct);
        Change back;
        try {
            back = change_from_json(json::parse(written.dump()));
        } catch (const InputError& e) {
            fail(std::string("an accepted change, written out, is refused: ") + e.what(), envelope);
        }
        const Verdicts again = judge(back);
        if (again.canonical != v.canonical || again.hash != v.hash || again.signature != v.signature ||
            again.violation != v.violation) {
            fail("an accepted change, written out and read back, is judged differently", envelope);
        }
        if (with_ct && (again.ciphertexts != v.ciphertexts || change_to_json(back) != written)) {
            fail("an accepted change does not survive writing out and reading back", envelope);
        }
    }
    return v;
}

int from_text(std::string_view text) {
    json envelope;
    try {
        envelope = parse_untrusted_json(text, "the fuzz input");
    } catch (const InputError&) {
        return 0;
    }
    Change c;
    try {
        c = change_from_json(envelope);
    } catch (const InputError&) {
        return 0;
    }
    check_accepted(c, envelope);
    return 0;
}

// Every place in `j` (objects and arrays), as JSON pointers.
void places(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
    out.push_back(at);
    if (j.is_object()) {
        for (const auto& [key, value] : j.items()) places(value, at / key, out);
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) places(j[i], at / i, out);
    }
}

json fuzzed_value(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return in.ConsumeRandomLengthString(80);
        case 1: return in.ConsumeIntegral<std::uint64_t>();
        case 2: return in.ConsumeIntegral<std::int64_t>();
        case 3: return in.ConsumeBool();
        case 4: return nullptr;
        case 5: return json::array();
        case 6: return json::object();
        default: return in.ConsumeFloatingPoint<double>();
    }
}

// One structured change to `j`: replace, remove, add or flip a bit of a
// base64 value somewhere in it, or reorder ops or parents.
void mutate(json& j, FuzzedDataProvider& in) {
    std::vector<json::json_pointer> all;
    places(j, json::json_pointer(), all);
    const auto& at = all[in.ConsumeIntegralInRange<std::size_t>(0, all.size() - 1)];
    json& target = j[at];
    switch (in.ConsumeIntegralInRange<int>(0, 5)) {
        case 0:
            if (at != json::json_pointer()) target = fuzzed_value(in);
            break;
        case 1:
            if (at != json::json_pointer()) {
                json& parent = j[at.parent_pointer()];
                if (parent.is_object()) parent.erase(at.back());
                if (parent.is_array()) parent.erase(static_cast<std::size_t>(std::stoul(at.back())));
            }
            break;
        case 2:
            if (target.is_object()) target[in.ConsumeRandomLengthString(16)] = fuzzed_value(in);
            if (target.is_array()) target.push_back(target.empty() ? fuzzed_value(in) : target.back());
            break;
        case 3:
            if (target.is_string()) {
                auto bytes = base64_decode(target.get<std::string>());
                if (bytes && !bytes->empty()) {
                    const auto index = in.ConsumeIntegralInRange<std::size_t>(0, bytes->size() - 1);
                    (*bytes)[index] ^= static_cast<std::uint8_t>(1u << in.ConsumeIntegralInRange<int>(0, 7));
                    target = base64_encode(*bytes);
                }
            }
            break;
        case 4:
            if (target.is_array() && target.size() > 1) {
                const auto a = in.ConsumeIntegralInRange<std::size_t>(0, target.size() - 1);
                const auto b = in.ConsumeIntegralInRange<std::size_t>(0, target.size() - 1);
                std::swap(target[a], target[b]);
            }
            break;
        default:
            if (target.is_number_unsigned()) target = target.get<std::uint64_t>() + in.ConsumeIntegralInRange<std::uint64_t>(0, 3) - 1;
            break;
    }
}

int from_mutation(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto& originals = fixture().originals;
    const Change& original = originals[in.ConsumeIntegralInRange<std::size_t>(0, originals.size() - 1)];
    json envelope = change_to_json(original);
    const int steps = in.ConsumeIntegralInRange<int>(1, 4);
    for (int i = 0; i < steps && in.remaining_bytes() > 0; ++i) mutate(envelope, in);

    // As text on the wire: a fuzzed string that is not UTF-8 goes out replaced.
    Change c;
    try {
        c = change_from_json(json::parse(envelope.dump(-1, ' ', false, json::error_handler_t::replace)));
    } catch (const InputError&) {
        return 0;
    }
    const Verdicts v = check_accepted(c, envelope);
    if (!v.signature || !v.ciphertexts) return 0;
    // It may lack ciphertexts (a purged copy is still the signed change);
    // everything else, and every ciphertext it has, must be the original's.
    bool same = change_to_json(c, false) == change_to_json(original, false);
    for (std::size_t i = 0; same && i < c.ops.size(); ++i) {
        same = !c.ops[i].ct || c.ops[i].ct == original.ops[i].ct;
    }
    if (!same) fail("a change that is not the signed one verifies and carries matching ciphertexts", envelope);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    crypto::init();
    static_cast<void>(fixture());
    static_cast<void>(Catalogue::builtin());
    // The changes signed here must pass every check: otherwise the mutation
    // mode would start from refusals and prove nothing.
    for (const auto& c : fixture().originals) {
        const Verdicts v = judge(c);
        if (!v.signature || !v.ciphertexts || v.violation) fail("a change signed for the fuzzer is refused", change_to_json(c));
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 0 && data[0] < 0x09) return from_mutation(data + 1, size - 1);
    return from_text(std::string_view(reinterpret_cast<const char*>(data), size));
}
