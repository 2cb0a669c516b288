// The floor of the machine: SQLite inserts and Ed25519 verifications (floor.hpp).
#include "floor.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "kim/shared/crypto.hpp"
#include "kim/sqlite/database.hpp"
#include "workload.hpp"

namespace kim::bench {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Payload {
    Bytes sealed;
    crypto::Signature signature{};
};

std::vector<Payload> seal_and_sign(const std::vector<client::FieldInputs>& records, const crypto::SigningKeyPair& signer) {
    const Key32 key = crypto::random_key();
    std::vector<Payload> out;
    out.reserve(records.size());
    for (const auto& fields : records) {
        nlohmann::json plain = nlohmann::json::object();
        for (const auto& [name, value] : fields) plain[name] = value;
        const std::string text = plain.dump();
        Payload p;
        p.sealed = crypto::aead_encrypt(key, as_bytes(text), "floor");
        p.signature = crypto::sign(signer.secret_key, p.sealed);
        out.push_back(std::move(p));
    }
    return out;
}

// Rows of (number, payload) into a fresh WAL file with synchronous=FULL, as
// kimsync's stores are set up; one transaction, timed from BEGIN to COMMIT.
double insert_rate(const std::vector<Payload>& payloads, const fs::path& file) {
    fs::remove(file);
    fs::remove(file.string() + "-wal");
    fs::remove(file.string() + "-shm");
    double rate = 0;
    {
        sqlite::Database db(file, sqlite::Database::Mode::read_write_create);
        db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        db.exec("CREATE TABLE payloads (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
        const auto t0 = Clock::now();
        sqlite::Transaction tx(db);
        sqlite::Statement insert(db, "INSERT INTO payloads (seq, payload) VALUES (?, ?)");
        std::int64_t seq = 0;
        for (const auto& p : payloads) {
            insert.bind(1, ++seq).bind(2, std::span<const std::uint8_t>(p.sealed));
            insert.run();
            insert.reset();
        }
        tx.commit();
        rate = static_cast<double>(payloads.size()) / std::chrono::duration<double>(Clock::now() - t0).count();
    }
    fs::remove(file);
    fs::remove(file.string() + "-wal");
    fs::remove(file.string() + "-shm");
    return rate;
}

double verify_rate(const std::vector<Payload>& payloads, const crypto::PublicKey& key, unsigned threads) {
    std::vector<std::thread> workers;
    std::vector<char> ok(threads, 1);
    const auto t0 = Clock::now();
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (std::size_t i = t; i < payloads.size(); i += threads) {
                if (!crypto::verify(key, payloads[i].sealed, payloads[i].signature)) ok[t] = 0;
            }
        });
    }
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (std::count(ok.begin(), ok.end(), 0)) throw std::runtime_error("floor: a signature did not verify");
    return static_cast<double>(payloads.size()) / seconds;
}

}  // namespace

Floor measure_floor(const std::vector<client::FieldInputs>& records, const fs::path& dir, int runs) {
    const crypto::SigningKeyPair signer = crypto::generate_signing_key();
    const auto payloads = seal_and_sign(records, signer);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::vector<double> inserts, core, machine;
    for (int r = 0; r < runs; ++r) {
        inserts.push_back(insert_rate(payloads, dir / "kim-bench-floor.sqlite"));
        core.push_back(verify_rate(payloads, signer.public_key, 1));
        machine.push_back(verify_rate(payloads, signer.public_key, cores));
    }
    return {median(inserts), median(core), median(machine), cores};
}

}  // namespace kim::bench
