// The state behind a Replica handle, shared by the files that implement it.
#pragma once

#include <filesystem>
#include <memory>

#include "keys/key_ring.hpp"
#include "log/change_log.hpp"
#include "merge/merge_engine.hpp"
#include "kim/sqlite/database.hpp"
#include "view/record_reader.hpp"
#include "write/local_writer.hpp"
#include "kim/client/replica.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/hlc.hpp"

namespace kim::client {

struct Replica::Impl {
    Impl(std::filesystem::path home_dir, std::unique_ptr<sqlite::Database> database, KeyRing key_ring, std::string site_name,
         std::string replica_name, std::uint64_t last_hlc, HybridClock::MillisSource wall_clock)
        : home(std::move(home_dir)),
          db(std::move(database)),
          keys(std::move(key_ring)),
          site(std::move(site_name)),
          replica(std::move(replica_name)),
          catalogue(Catalogue::builtin()),
          clock(last_hlc, std::move(wall_clock)),
          log(*db),
          merge(*db, log),
          reader(log, merge, keys.site_key, catalogue),
          writer(*db, log, merge, keys, clock, site, replica) {}

    std::filesystem::path home;
    std::unique_ptr<sqlite::Database> db;
    KeyRing keys;
    std::string site;
    std::string replica;
    const Catalogue& catalogue;
    HybridClock clock;
    ChangeLog log;
    MergeEngine merge;
    RecordReader reader;
    LocalWriter writer;
};

std::filesystem::path database_path(const std::filesystem::path& home);
// Opens the database of an existing replica, applying pending migrations.
std::unique_ptr<sqlite::Database> open_existing_database(const std::filesystem::path& home);

}  // namespace kim::client
