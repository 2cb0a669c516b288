#include "pg_pool.hpp"

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
            if (conn->healthy()) return Lease(*this, std::move(conn));
        }
    }
    // Connecting takes a round trip or more: not under the lock.
    return Lease(*this, std::make_unique<Connection>(conninfo_));
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
    if (!conn || !conn->healthy()) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

}  // namespace kim::server::pg
