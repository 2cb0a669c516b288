// Catches the error a statement throws and returns its message, for tests
// that assert what an error says.
#pragma once

#include <exception>
#include <string>

namespace kim::test {

// Runs `f` and returns the message of the `Expected` it throws; another
// exception type or none gives a marker text that no assertion will match.
template <typename Expected, typename F>
std::string error_message_of(F&& f) {
    try {
        f();
    } catch (const Expected& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("WRONG EXCEPTION TYPE: ") + e.what();
    }
    return "NO EXCEPTION";
}

}  // namespace kim::test
