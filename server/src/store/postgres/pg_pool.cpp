#include "pg_pool.hpp"

#include <iostream>

#include "../../auth/auth_errors.hpp"

namespace kim::server::pg {

Pool::Pool(std::string conninfo, std::size_t max_idle) : conninfo_(std::move(conninfo)), max_idle_(max_idle) {}

Pool::Lease::~Lease() {
    if (conn_) pool_->give_back(std::move(conn_));
}

Pool::Lease Pool::acquire() {
    {
        std::lock_guard lock(mutex_);
        while (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            if (conn->reusable() && conn->still_open()) return Lease(*this, std::move(conn));
        }
    }
    // Connecting takes a round trip or more: not under the lock.
    try {
        return Lease(*this, std::make_unique<Connection>(conninfo_));
    } catch (const BusyError& e) {
        // The details (host, port, database) are for the server's log; the
        // client that gets this message learns only to come back later.
        std::cerr << "kim-server: " << e.what() << std::endl;
        throw BusyError("the server cannot reach its database just now; nothing was acknowledged: try again in a moment");
    }
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
    if (!conn || !conn->reusable()) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

}  // namespace kim::server::pg
