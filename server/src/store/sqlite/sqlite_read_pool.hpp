// Read connections for the HTTP threads: WAL lets each read from its own
// snapshot while the writer appends, so a pull or a token check never waits
// behind a long push.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "kim/sqlite/database.hpp"

namespace kim::server {

class ReadPool {
public:
    // Keeps at most `max_idle` connections open between uses; more are opened
    // when more threads read at once, and closed again after use.
    ReadPool(std::filesystem::path file, std::size_t max_idle);

    class Lease {
    public:
        Lease(ReadPool& pool, std::unique_ptr<sqlite::Database> db) : pool_(pool), db_(std::move(db)) {}
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        sqlite::Database& operator*() { return *db_; }
        sqlite::Database* operator->() { return db_.get(); }

    private:
        ReadPool& pool_;
        std::unique_ptr<sqlite::Database> db_;
    };

    Lease acquire();

private:
    void give_back(std::unique_ptr<sqlite::Database> db);

    std::filesystem::path file_;
    std::size_t max_idle_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<sqlite::Database>> idle_;
};

// A deferred read transaction: every query inside sees one snapshot of the
// file. Ended (rolled back: nothing to keep) when it goes out of scope.
class ReadSnapshot {
public:
    explicit ReadSnapshot(sqlite::Database& db);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    sqlite::Database& db_;
};

}  // namespace kim::server
