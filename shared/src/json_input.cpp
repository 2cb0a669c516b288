// Depth-limited JSON parsing for untrusted input.
#include "kim/shared/json_input.hpp"

#include <string>

#include "kim/shared/errors.hpp"

namespace kim {

namespace {

// A first pass that builds nothing: syntax, UTF-8 and depth. (A parse
// callback would do the depth check in one pass, but nlohmann's callback
// parser rescans the whole enclosing container at the end of every object:
// quadratic time for an array of many objects.)
class Precheck final : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit Precheck(int max_depth) : max_depth_(max_depth) {}
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool key(string_t&) override { return true; }
    bool start_object(std::size_t) override { return enter(); }
    bool end_object() override { return leave(); }
    bool start_array(std::size_t) override { return enter(); }
    bool end_array() override { return leave(); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
        error_at_ = position;
        // 406: a number beyond a double's range (1e400), which is no syntax error.
        too_large_number_ = e.id == 406;
        return false;
    }
    bool too_deep() const { return too_deep_; }
    bool too_large_number() const { return too_large_number_; }
    std::size_t error_at() const { return error_at_; }

private:
    bool enter() {
        too_deep_ = ++depth_ > max_depth_;
        return !too_deep_;
    }
    bool leave() {
        --depth_;
        return true;
    }
    int max_depth_;
    int depth_ = 0;
    bool too_deep_ = false;
    bool too_large_number_ = false;
    std::size_t error_at_ = 0;
};

}  // namespace

nlohmann::json parse_untrusted_json(std::string_view text, std::string_view what, int max_depth) {
    Precheck check(max_depth);
    if (!nlohmann::json::sax_parse(text, &check)) {
        if (check.too_deep()) {
            throw InputError(std::string(what) + " nests deeper than " + std::to_string(max_depth) +
                             " levels; it is not a kimsync document");
        }
        if (check.too_large_number()) {
            throw InputError(std::string(what) + " holds a number too large to read; it is not a kimsync document");
        }
        // The parser's own message quotes the input around the error; only the offset is reported.
        throw InputError(std::string(what) + " is not valid JSON (error at byte " + std::to_string(check.error_at()) +
                         "); was it cut off or changed while copying?");
    }
    return nlohmann::json::parse(text);  // valid and shallow: the second pass cannot fail
}

}  // namespace kim
