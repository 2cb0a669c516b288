// The fault-injecting TCP proxy of the reliability tests: POSIX sockets, one
// thread for the listener and one per connection, every wait a poll() that
// also watches a shutdown pipe, so that the destructor ends them all at once.
#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace kim::test {

namespace {

constexpr std::size_t journal_lines = 500;
constexpr std::size_t chunk_bytes = 16 * 1024;

std::runtime_error sys_error(const std::string& what) {
    return std::runtime_error("fault proxy: " + what + ": " + std::strerror(errno));
}

// SplitMix64's finaliser: neighbouring connection indices get unrelated streams.
std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void set_nonblocking(int fd) {
    const int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw sys_error("fcntl");
}

void set_nodelay(int fd) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // forwarded prefixes go out at once
}

// Close with RST instead of FIN.
void close_with_reset(int fd) {
    const linger abort_on_close{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    close(fd);
}

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
}

}  // namespace

std::string_view fault_name(Fault fault) {
    switch (fault) {
        case Fault::pass: return "pass";
        case Fault::delay: return "delay";
        case Fault::cut_request: return "cut_request";
        case Fault::cut_response: return "cut_response";
        case Fault::truncate: return "truncate";
        case Fault::reset: return "reset";
        case Fault::stall: return "stall";
    }
    return "?";
}

std::string FaultPlan::text() const {
    std::string s(fault_name(kind));
    const std::string side = from_server ? "the server" : "the client";
    switch (kind) {
        case Fault::pass: break;
        case Fault::delay: s += " of every chunk from " + side; break;
        default: s += " after " + std::to_string(after_bytes) + " B from " + side; break;
    }
    return s;
}

struct FaultProxy::Impl {
    int target_port = 0;
    std::uint64_t seed = 0;
    FaultMix mix;
    int listen_fd = -1;
    int port = 0;
    // Written once, by the destructor, and never read: its read end stays
    // readable, which wakes every poll() of every thread for good.
    int wake[2] = {-1, -1};
    std::atomic<bool> faults{true};

    ~Impl() {
        for (int fd : {listen_fd, wake[0], wake[1]}) {
            if (fd >= 0) close(fd);
        }
    }

    mutable std::mutex mutex;  // guards the members below
    Counts counts;
    std::deque<std::string> journal;

    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> finished;
    };
    std::vector<Worker> workers;  // touched by the listener thread only, then by the destructor
    std::thread listener;

    bool stopping() const {
        pollfd p{wake[0], POLLIN, 0};
        return poll(&p, 1, 0) > 0;
    }

    // Waits until `fd` has `events` or the proxy stops; false when stopping.
    bool wait_for(int fd, short events) const {
        pollfd p[2] = {{fd, events, 0}, {wake[0], POLLIN, 0}};
        for (;;) {
            const int n = poll(p, 2, -1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 || p[1].revents) return false;
            if (p[0].revents) return true;
        }
    }

    // Sleeps, but not past the proxy's end.
    void sleep_for(std::chrono::milliseconds d) const {
        pollfd p{wake[0], POLLIN, 0};
        poll(&p, 1, static_cast<int>(d.count()));
    }

    // False when the receiver is gone (or the proxy stops).
    bool send_all(int fd, const char* data, std::size_t size) const {
        while (size > 0) {
            const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
            if (n > 0) {
                data += n;
                size -= static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!wait_for(fd, POLLOUT)) return false;
                continue;
            }
            return false;
        }
        return true;
    }

    void record(Fault kind, bool struck, bool unfaulted, std::string line) {
        std::lock_guard lock(mutex);
        if (unfaulted) {
            ++counts.unfaulted;
        } else {
            const auto k = static_cast<std::size_t>(kind);
            ++(struck ? counts.struck[k] : counts.missed[k]);
        }
        journal.push_back(std::move(line));
        while (journal.size() > journal_lines) journal.pop_front();
    }

    FaultPlan plan(std::uint64_t index) const;
    void accept_loop();
    void serve(int client, std::uint64_t index, FaultPlan plan, bool unfaulted);
};

FaultPlan FaultProxy::plan_for(std::uint64_t index) const { return impl_->plan(index); }

FaultPlan FaultProxy::Impl::plan(std::uint64_t index) const {
    std::mt19937_64 rng(mix64(seed ^ mix64(index)));
    const auto& w = mix.weights;
    std::discrete_distribution<std::size_t> kind(w.begin(), w.end());
    FaultPlan plan;
    plan.kind = static_cast<Fault>(kind(rng));
    plan.from_server = std::bernoulli_distribution(0.5)(rng);
    if (plan.kind == Fault::cut_request) plan.from_server = false;
    if (plan.kind == Fault::cut_response) plan.from_server = true;
    const double log_max = std::log(static_cast<double>(mix.max_offset) + 1.0);
    plan.after_bytes = static_cast<std::size_t>(std::exp(std::uniform_real_distribution<double>(0.0, log_max)(rng)) - 1.0);
    plan.delay_seed = rng();
    return plan;
}

void FaultProxy::Impl::accept_loop() {
    std::uint64_t index = 0;
    while (wait_for(listen_fd, POLLIN)) {
        const int client = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) continue;  // the client gave up before we took it (or EINTR)
        const bool on = faults.load();
        const FaultPlan chosen = on ? plan(index) : FaultPlan{};
        {
            std::lock_guard lock(mutex);
            ++counts.connections;
        }
        // Reap the threads of finished connections, so that a long run does
        // not pile up hundreds of them.
        std::erase_if(workers, [](Worker& w) {
            if (!w.finished->load()) return false;
            w.thread.join();
            return true;
        });
        auto finished = std::make_shared<std::atomic<bool>>(false);
        workers.push_back({std::thread([this, client, index, chosen, on, finished] {
                               serve(client, index, chosen, !on);
                               finished->store(true);
                           }),
                           finished});
        ++index;
    }
}

void FaultProxy::Impl::serve(int client, std::uint64_t index, FaultPlan plan, bool unfaulted) {
    std::string line = "#" + std::to_string(index) + " " + (unfaulted ? std::string("faults off") : plan.text()) + ": ";
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in target = loopback(target_port);
    if (server < 0 || connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
        if (server >= 0) close(server);
        close(client);
        record(plan.kind, false, unfaulted, line + "the server refused the connection");
        return;
    }
    set_nonblocking(server);
    set_nodelay(server);
    set_nodelay(client);

    struct Direction {
        int from;
        int to;
        std::size_t bytes = 0;  // read from `from`
        bool reading = true;    // until EOF from `from`
        bool forwarding = true; // false after a truncation or stall: what arrives is dropped
    };
    Direction up{client, server};
    Direction down{server, client};
    Direction& trigger = plan.from_server ? down : up;
    const bool armed = !unfaulted && plan.kind != Fault::pass && plan.kind != Fault::delay;
    std::mt19937_64 delays(plan.delay_seed);
    std::uniform_int_distribution<long> delay_ms(0, plan.kind == Fault::delay ? mix.max_delay.count() : 0);
    bool delayed = false;
    bool struck = false;
    bool closed = false;  // both sockets already closed by the fault
    std::string outcome;

    std::vector<char> buffer(chunk_bytes);
    while (up.reading || down.reading) {
        // A side no longer read is left out (fd -1): its POLLHUP would spin the loop.
        pollfd p[3] = {{up.reading ? client : -1, POLLIN, 0}, {down.reading ? server : -1, POLLIN, 0}, {wake[0], POLLIN, 0}};
        const int n = poll(p, 3, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || p[2].revents) {
            outcome = "ended by the proxy's shutdown";
            break;
        }
        bool broken = false;
        for (Direction* d : {&up, &down}) {
            const pollfd& pd = d == &up ? p[0] : p[1];
            if (!d->reading || !(pd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t got = recv(d->from, buffer.data(), buffer.size(), 0);
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
            if (got <= 0) {
                if (got < 0) {
                    broken = true;  // reset by a peer: nothing more will pass either way
                    break;
                }
                d->reading = false;
                if (d->forwarding) shutdown(d->to, SHUT_WR);
                // A stalled connection ends when the client gives up.
                if (struck && plan.kind == Fault::stall && d == &up) broken = true;
                continue;
            }
            auto size = static_cast<std::size_t>(got);
            const std::size_t before = d->bytes;
            d->bytes += size;
            if (!d->forwarding) continue;
            if (armed && !struck && d == &trigger && d->bytes > plan.after_bytes) {
                // The fault strikes inside this chunk: its prefix still goes through.
                const std::size_t prefix = plan.after_bytes - before;
                if (!send_all(d->to, buffer.data(), prefix)) {
                    broken = true;
                    break;
                }
                struck = true;
                switch (plan.kind) {
                    case Fault::cut_request:
                    case Fault::cut_response:
                        close(client);
                        close(server);
                        closed = true;
                        break;
                    case Fault::reset:
                        close_with_reset(client);
                        close_with_reset(server);
                        closed = true;
                        break;
                    case Fault::truncate:
                        shutdown(d->to, SHUT_WR);
                        d->forwarding = false;
                        break;
                    case Fault::stall:
                        up.forwarding = false;
                        down.forwarding = false;
                        down.reading = false;  // the server's side is left alone, open
                        break;
                    default: break;
                }
                if (closed) break;
                continue;
            }
            if (plan.kind == Fault::delay && !unfaulted && d == &trigger) {
                const long ms = delay_ms(delays);
                if (ms > 0) {
                    delayed = true;
                    sleep_for(std::chrono::milliseconds(ms));
                }
            }
            if (!send_all(d->to, buffer.data(), size)) {
                broken = true;
                break;
            }
        }
        if (closed || broken) break;
    }
    if (!closed) {
        close(client);
        close(server);
    }
    if (plan.kind == Fault::delay) struck = delayed;
    if (plan.kind == Fault::pass) struck = true;
    if (outcome.empty()) outcome = (unfaulted || plan.kind == Fault::pass) ? "passed" : (struck ? "struck" : "never reached");
    line += outcome + " (client sent " + std::to_string(up.bytes) + " B, server sent " + std::to_string(down.bytes) + " B)";
    record(plan.kind, struck, unfaulted, std::move(line));
}

FaultProxy::FaultProxy(int target_port, std::uint64_t seed, FaultMix mix) : impl_(std::make_unique<Impl>()) {
    auto& d = *impl_;
    d.target_port = target_port;
    d.seed = seed;
    d.mix = mix;
    if (pipe2(d.wake, O_CLOEXEC) != 0) throw sys_error("pipe");
    d.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (d.listen_fd < 0) throw sys_error("socket");
    const sockaddr_in any_port = loopback(0);
    if (bind(d.listen_fd, reinterpret_cast<const sockaddr*>(&any_port), sizeof any_port) != 0) throw sys_error("bind");
    if (listen(d.listen_fd, 64) != 0) throw sys_error("listen");
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    if (getsockname(d.listen_fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) throw sys_error("getsockname");
    d.port = ntohs(bound.sin_port);
    d.listener = std::thread([&d] { d.accept_loop(); });
}

FaultProxy::~FaultProxy() {
    auto& d = *impl_;
    const char stop = 's';
    if (write(d.wake[1], &stop, 1) != 1) std::terminate();  // nothing else could end the threads
    d.listener.join();
    for (auto& w : d.workers) w.thread.join();
}

int FaultProxy::port() const { return impl_->port; }
std::string FaultProxy::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }
std::uint64_t FaultProxy::seed() const { return impl_->seed; }
void FaultProxy::set_faults(bool on) { impl_->faults.store(on); }

FaultProxy::Counts FaultProxy::counts() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->counts;
}

std::string FaultProxy::summary() const {
    const Counts c = counts();
    std::string s;
    for (std::size_t k = 0; k < fault_kinds; ++k) {
        s += (s.empty() ? "" : " ") + std::string(fault_name(static_cast<Fault>(k))) + "=" + std::to_string(c.struck[k]);
    }
    std::string missed;
    for (std::size_t k = 1; k < fault_kinds; ++k) {
        if (c.missed[k] == 0) continue;
        missed += (missed.empty() ? "" : " ") + std::string(fault_name(static_cast<Fault>(k))) + "=" +
                  std::to_string(c.missed[k]);
    }
    s += "; connections=" + std::to_string(c.connections) + " (faults off: " + std::to_string(c.unfaulted) + ")";
    if (!missed.empty()) s += "; planned but never reached: " + missed;
    return s;
}

std::vector<std::string> FaultProxy::journal() const {
    std::lock_guard lock(impl_->mutex);
    return {impl_->journal.begin(), impl_->journal.end()};
}

}  // namespace kim::test
