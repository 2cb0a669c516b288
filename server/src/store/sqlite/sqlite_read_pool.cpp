// A small pool of read-only SQLite connections.
#include "sqlite_read_pool.hpp"

#include <sqlite3.h>

#include "sqlite_schema.hpp"

namespace kim::server {

ReadPool::ReadPool(std::filesystem::path file, std::size_t max_idle) : file_(std::move(file)), max_idle_(max_idle) {}

ReadPool::Lease ReadPool::acquire() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto db = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(db));
        }
    }
    auto db = std::make_unique<sqlite::Database>(file_, sqlite::Database::Mode::read_write);
    configure_reader(*db);
    return Lease(*this, std::move(db));
}

void ReadPool::give_back(std::unique_ptr<sqlite::Database> db) {
    // A connection left inside a transaction (an exception mid-read) would pin
    // an old snapshot forever: close it instead of reusing it.
    if (!db || !sqlite3_get_autocommit(db->handle())) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(db));
}

ReadSnapshot::ReadSnapshot(sqlite::Database& db) : db_(db) { db_.exec("BEGIN"); }

ReadSnapshot::~ReadSnapshot() { sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr); }

ReadPool::Lease::~Lease() { pool_.give_back(std::move(db_)); }

}  // namespace kim::server
