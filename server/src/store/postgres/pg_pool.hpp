// Connections to the PostgreSQL store for the HTTP threads and the push
// batches: each caller leases one for the length of its work. A connection
// that broke (a restarted or failed-over database) is not given back.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pg_connection.hpp"

namespace kim::server::pg {

class Pool {
public:
    // Keeps at most `max_idle` connections open between uses.
    Pool(std::string conninfo, std::size_t max_idle);

    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> conn) : pool_(&pool), conn_(std::move(conn)) {}
        ~Lease();
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Connection& operator*() { return *conn_; }
        Connection* operator->() { return conn_.get(); }

    private:
        Pool* pool_;
        std::unique_ptr<Connection> conn_;  // null once moved from
    };

    Lease acquire();

private:
    void give_back(std::unique_ptr<Connection> conn);

    const std::string conninfo_;
    const std::size_t max_idle_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace kim::server::pg
