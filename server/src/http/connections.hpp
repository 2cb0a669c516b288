// The bound on open connections, and the list of live sessions that a
// shutdown asks to finish. Beyond the bound a connection is still answered
// `503 busy` (docs/protocol.md), within a small extra allowance; beyond that
// it is closed at once, so that a flood costs the server nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kim::server::http {

class Metrics;

// What a shutdown may ask of a session (implemented by the session template).
class SessionControl {
public:
    virtual ~SessionControl() = default;
    // Finish the request in progress, if any, then close; close at once if idle.
    // Thread-safe: the session moves the work onto its own strand.
    virtual void stop_when_idle() = 0;
};

class Connections {
public:
    Connections(std::size_t limit, Metrics& metrics);
    Connections(const Connections&) = delete;
    Connections& operator=(const Connections&) = delete;

    enum class Kind { serve, refuse_busy };

    // Held by a session for its whole life; gives its place back when destroyed.
    class Slot {
    public:
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        Kind kind() const { return kind_; }
        // Registers the session so that a shutdown can reach it.
        void watch(std::weak_ptr<SessionControl> session);

    private:
        friend class Connections;
        Slot(Connections& owner, Kind kind, std::uint64_t id) : owner_(owner), kind_(kind), id_(id) {}
        Connections& owner_;
        Kind kind_;
        std::uint64_t id_;
    };

    // nullptr: close the socket without a word (even the busy allowance is used up,
    // or the server is shutting down).
    std::unique_ptr<Slot> admit();

    // Refuses new connections from now on and asks every session to finish.
    void stop_all();
    bool stopping() const { return stopping_.load(); }
    // Sessions alive (served and busy ones).
    std::size_t open() const;

private:
    void release(const Slot& slot);

    const std::size_t limit_;
    const std::size_t busy_allowance_;
    Metrics& metrics_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::size_t served_ = 0;
    std::size_t refusing_ = 0;
    std::uint64_t next_id_ = 1;
    std::unordered_map<std::uint64_t, std::weak_ptr<SessionControl>> sessions_;
};

}  // namespace kim::server::http
