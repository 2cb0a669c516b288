// Writes the synthetic case records that kimsync's and PouchDB's replication
// benchmarks both load (bench/run pouchdb; issue 7), one JSON object a line:
//   {"id": "<uuid>", "fields": {"name": ..., ...}}
// About 600 bytes each: the twelve intake fields and an assessment.
//   kim_bench_records --count N --out FILE
#include <cstdio>
#include <exception>
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

}  // namespace

int main(int argc, char** argv) {
    long count = -1;
    std::string out;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--count") {
            try {
                count = std::stol(argv[i + 1]);
            } catch (const std::exception&) {
                count = -1;
            }
        } else if (key == "--out") {
            out = argv[i + 1];
        } else {
            std::cerr << "kim_bench_records: unknown option " << key << "\n" << usage << "\n";
            return 2;
        }
    }
    if (argc % 2 == 0 || count < 1 || out.empty()) {
        std::cerr << "kim_bench_records: --count (a whole number above 0) and --out are needed\n" << usage << "\n";
        return 2;
    }
    kim::crypto::init();
    std::ofstream file(out, std::ios::trunc);
    for (long i = 0; i < count && file; ++i) file << record(i).dump() << '\n';
    if (!file.flush()) {
        std::cerr << "kim_bench_records: cannot write " << out << "\n";
        return 1;
    }
    return 0;
}
