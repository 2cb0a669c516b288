// A TCP proxy on 127.0.0.1 between a client (`kim sync`) and the real
// kim-server that injects network faults: for each accepted connection a
// plan drawn from a seeded std::mt19937_64 (pass, delay, cut mid-request,
// cut mid-response, truncate, reset, stall), and counts of the faults that
// really struck, so that a test can prove each kind happened.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kim::test {

enum class Fault : std::size_t {
    pass,          // forwarded untouched
    delay,         // every chunk of one direction held back a few milliseconds
    cut_request,   // closed after N bytes from the client
    cut_response,  // closed after N bytes from the server
    truncate,      // N bytes of one direction forwarded, then FIN (half-close) to its receiver
    reset,         // after N bytes of one direction, both sides closed with RST (SO_LINGER 0)
    stall,         // after N bytes of one direction nothing is forwarded; held open until the client gives up
};
inline constexpr std::size_t fault_kinds = 7;
std::string_view fault_name(Fault fault);

struct FaultMix {
    // Relative weights of the kinds, in the order of `Fault`.
    std::array<unsigned, fault_kinds> weights{30, 14, 12, 12, 12, 12, 8};
    // A fault strikes after N bytes of its direction, N log-uniform in
    // [0, max_offset]: as often in the first small requests (the sign-in) as
    // deep inside a push or a pull page.
    std::size_t max_offset = 64 * 1024;
    // `delay`: each forwarded chunk waits uniform [0, max_delay].
    std::chrono::milliseconds max_delay{20};
};

// What the proxy decided for one connection: a pure function of the seed and
// the connection's index (0, 1, 2, ... in accept order).
struct FaultPlan {
    Fault kind = Fault::pass;
    bool from_server = false;   // the direction whose byte count triggers it (or that is delayed)
    std::size_t after_bytes = 0;
    std::uint64_t delay_seed = 0;

    std::string text() const;  // "cut_response after 1234 B from the server"
};

// Thread-safe unless said otherwise. Connections are served on their own
// threads; the destructor stops the listener, closes every connection and
// joins every thread.
class FaultProxy {
public:
    // Listens on 127.0.0.1:0 and forwards each connection to 127.0.0.1:target_port.
    FaultProxy(int target_port, std::uint64_t seed, FaultMix mix = {});
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const;
    std::string url() const;  // http://127.0.0.1:PORT
    std::uint64_t seed() const;

    // Off: connections accepted from now on pass untouched (and are not
    // counted as `pass`); those already open keep their plan. On by default.
    void set_faults(bool on);

    // The plan the connection with this index gets while faults are on.
    FaultPlan plan_for(std::uint64_t index) const;

    struct Counts {
        std::array<std::uint64_t, fault_kinds> struck{};  // faults done (pass: connections that ended untouched)
        std::array<std::uint64_t, fault_kinds> missed{};  // planned, but the connection ended before the trigger
        std::uint64_t connections = 0;                    // accepted, faults on or off
        std::uint64_t unfaulted = 0;                      // accepted while faults were off
    };
    Counts counts() const;
    // "pass=12 delay=3 cut_request=4 ..." (struck), then what was missed.
    std::string summary() const;
    // One line per finished connection (the latest 500): its index, plan and outcome.
    std::vector<std::string> journal() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace kim::test
