// Cost of one local edit on a real replica file: validate, encrypt, sign,
// append to the chain, merge, commit (WAL, synchronous=FULL).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "kim/client/replica.hpp"

namespace {

namespace fs = std::filesystem;

// The folder for the replica: KIM_BENCH_DIR, else the build folder's disk
// (not tmpfs), so that the fsync of every commit is paid as on a laptop.
fs::path bench_dir(const std::string& name) {
    const char* base = std::getenv("KIM_BENCH_DIR");
    fs::path dir = fs::path(base ? base : "bench-data") / name;
    fs::remove_all(dir);
    return dir;
}

kim::client::Replica make_replica(const fs::path& dir) {
    kim::client::CreateOptions o;
    o.home = dir;
    o.site = "hamborn";
    o.replica = "hamborn-a";
    o.passphrase = "benchmark-passphrase";
    kim::client::Replica::create(o);
    return kim::client::Replica::open(dir, o.passphrase);
}

// One edit touching a confidential field (encrypted) and a statistical one.
void BM_local_edit(benchmark::State& state) {
    const fs::path dir = bench_dir("local-edit");
    auto replica = make_replica(dir);
    const std::string id = replica.create_case({{"name", "Testperson Eins"}, {"need.wohnen", "1"}});
    std::int64_t i = 0;
    for (auto _ : state) {
        ++i;
        replica.set_fields(id, {{"assessment", "Einschätzung Nummer " + std::to_string(i)},
                                {"need.wohnen", std::to_string(i % 4)}});
    }
    state.SetItemsProcessed(i);
    fs::remove_all(dir);
}
BENCHMARK(BM_local_edit)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Opening a case with twelve fields: one change with twelve operations.
void BM_create_case(benchmark::State& state) {
    const fs::path dir = bench_dir("create-case");
    auto replica = make_replica(dir);
    std::int64_t i = 0;
    for (auto _ : state) {
        ++i;
        replica.create_case({{"name", "Person " + std::to_string(i)},
                             {"birth_date", "1990-01-01"},
                             {"address", "Musterstraße 1, 47051 Duisburg"},
                             {"phone", "0203 000000"},
                             {"languages", "Türkisch, Deutsch"},
                             {"nationality", "türkisch"},
                             {"sex", "female"},
                             {"origin_region", "europe_other"},
                             {"residence_category", "settlement_permit"},
                             {"household_band", "3_4"},
                             {"need.wohnen", "2"},
                             {"need.arbeit", "1"}});
    }
    state.SetItemsProcessed(i);
    fs::remove_all(dir);
}
BENCHMARK(BM_create_case)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
