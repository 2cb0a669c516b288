#include "connections.hpp"

#include <algorithm>
#include <vector>

#include "metrics.hpp"

namespace kim::server::http {

Connections::Connections(std::size_t limit, Metrics& metrics)
    // Enough 503 answers for a burst to learn why, few enough that answering
    // them never costs much.
    : limit_(limit), busy_allowance_(std::max<std::size_t>(16, limit / 8)), metrics_(metrics) {}

Connections::Slot::~Slot() { owner_.release(*this); }

void Connections::Slot::watch(std::weak_ptr<SessionControl> session) {
    const std::lock_guard lock(owner_.mutex_);
    owner_.sessions_[id_] = std::move(session);
}

std::unique_ptr<Connections::Slot> Connections::admit() {
    if (stopping_.load()) return nullptr;
    const std::lock_guard lock(mutex_);
    Kind kind;
    if (served_ < limit_) {
        kind = Kind::serve;
        ++served_;
        metrics_.connection_opened();
    } else if (refusing_ < busy_allowance_) {
        kind = Kind::refuse_busy;
        ++refusing_;
    } else {
        return nullptr;
    }
    return std::unique_ptr<Slot>(new Slot(*this, kind, next_id_++));
}

void Connections::release(const Slot& slot) {
    const std::lock_guard lock(mutex_);
    sessions_.erase(slot.id_);
    if (slot.kind_ == Kind::serve) {
        --served_;
        metrics_.connection_closed();
    } else {
        --refusing_;
    }
}

void Connections::stop_all() {
    stopping_.store(true);
    std::vector<std::shared_ptr<SessionControl>> alive;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [id, weak] : sessions_) {
            if (auto session = weak.lock()) alive.push_back(std::move(session));
        }
    }
    // Outside the lock: a session may end (and release its slot) meanwhile.
    for (const auto& session : alive) session->stop_when_idle();
}

std::size_t Connections::open() const {
    const std::lock_guard lock(mutex_);
    return served_ + refusing_;
}

}  // namespace kim::server::http
