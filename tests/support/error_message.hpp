// Catches the error a statement throws and returns its message, for tests
// that assert what an error says.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "kim/shared/errors.hpp"

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

// Runs `f`, expects a kim::InputError and returns its message.
template <typename F>
std::string input_error_of(F&& f) {
    return error_message_of<kim::InputError>(std::forward<F>(f));
}

}  // namespace kim::test
