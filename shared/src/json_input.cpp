// Depth-limited JSON parsing for untrusted input.
#include "kim/shared/json_input.hpp"

#include <string>

#include "kim/shared/errors.hpp"

namespace kim {

namespace {
struct TooDeep {};
}  // namespace

nlohmann::json parse_untrusted_json(std::string_view text, std::string_view what, int max_depth) {
    try {
        return nlohmann::json::parse(text, [max_depth](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > max_depth) throw TooDeep{};
            return true;
        });
    } catch (const TooDeep&) {
        throw InputError(std::string(what) + " nests deeper than " + std::to_string(max_depth) +
                         " levels; it is not a kimsync document");
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() quotes the input around the error; only the offset is reported.
        throw InputError(std::string(what) + " is not valid JSON (error at byte " + std::to_string(e.byte) +
                         "); was it cut off or changed while copying?");
    }
}

}  // namespace kim
