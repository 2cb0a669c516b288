// Writes synthetic case records for the replication benchmarks of issue 7,
// one JSON object a line (PouchDB's side loads them now, bench/run pouchdb;
// kimsync's side is to load the same file):
//   {"id": "<uuid>", "fields": {"name": ..., ...}}
// About 600 bytes each: the twelve intake fields and an assessment.
//   kim_bench_records --count N --out FILE
#include <charconv>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "kim/shared/crypto.hpp"
#include "kim/shared/ids.hpp"
#include "workload.hpp"

namespace {

constexpr const char* usage = "usage: kim_bench_records --count N --out FILE";

nlohmann::json record(long i) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, value] : kim::bench::intake_fields("Synthetische Person " + std::to_string(i))) {
        fields[name] = value;
    }
    fields["assessment"] = "Erstgespräch " + std::to_string(i) +
                           ": Aufenthaltstitel läuft in drei Monaten ab, Termin bei der Ausländerbehörde "
                           "vereinbart; Wohnung zu klein, Antrag auf Wohnberechtigungsschein vorbereitet.";
    return {{"id", kim::random_uuid()}, {"fields", std::move(fields)}};
}

// A whole number above 0, all of `text`; -1 for anything else.
long whole_number(const std::string& text) {
    long n = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    return error == std::errc() && end == text.data() + text.size() && n > 0 ? n : -1;
}

int refuse(const std::string& why) {
    std::cerr << "kim_bench_records: " << why << "\n" << usage << "\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    long count = -1;
    std::string out;
    for (int i = 1; i < argc; i += 2) {
        const std::string key = argv[i];
        if (key != "--count" && key != "--out") return refuse("unknown option " + key);
        if (i + 1 >= argc) return refuse(key + " needs a value");
        const std::string value = argv[i + 1];
        if (key == "--out") {
            out = value;
        } else if ((count = whole_number(value)) < 0) {
            return refuse("--count must be a whole number above 0 (got '" + value + "')");
        }
    }
    if (count < 0 || out.empty()) return refuse("--count and --out are needed");
    kim::crypto::init();
    std::ofstream file(out, std::ios::trunc);
    for (long i = 0; i < count && file; ++i) file << record(i).dump() << '\n';
    if (!file.flush()) {
        std::cerr << "kim_bench_records: cannot write " << out << "\n";
        return 1;
    }
    return 0;
}
