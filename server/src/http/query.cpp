#include "query.hpp"

#include <charconv>

#include "http_message.hpp"
#include "kim/shared/errors.hpp"

namespace kim::server::http {

namespace {

std::string names_of(std::initializer_list<std::string_view> allowed) {
    std::string names;
    for (const auto name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
    return names.empty() ? "no parameters" : names;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            const bool whole = i + 2 < text.size();
            const int high = whole ? hex_digit(text[i + 1]) : -1;
            const int low = whole ? hex_digit(text[i + 2]) : -1;
            if (high < 0 || low < 0) throw InputError("the query has a malformed %-escape");
            c = static_cast<char>(high * 16 + low);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            throw InputError("the query holds a control character");
        }
        out += c;
    }
    return out;
}

}  // namespace

QueryParameters parse_open_query(std::string_view query, std::size_t max_parameters) {
    QueryParameters parameters;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        const auto eq = part.find('=');
        std::string name = percent_decoded(part.substr(0, eq));
        if (eq == std::string_view::npos || name.empty()) {
            throw InputError("query parameter '" + printable_excerpt(name, 40) + "' needs a name and a value (name=value)");
        }
        if (parameters.size() == max_parameters) {
            throw InputError("the query has more than " + std::to_string(max_parameters) + " parameters");
        }
        std::string value = percent_decoded(part.substr(eq + 1));
        if (!parameters.emplace(name, std::move(value)).second) {
            throw InputError("query parameter '" + printable_excerpt(name, 40) + "' is given twice");
        }
    }
    return parameters;
}

QueryParameters parse_query(std::string_view query, std::initializer_list<std::string_view> allowed) {
    QueryParameters parameters;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;  // "a=1&&b=2" or a trailing '&': harmless
        const auto eq = part.find('=');
        const auto name = part.substr(0, eq);
        bool known = false;
        for (const auto a : allowed) known = known || a == name;
        if (!known) {
            throw InputError("unknown query parameter '" + printable_excerpt(name, 40) + "'; this endpoint takes " +
                             names_of(allowed));
        }
        if (eq == std::string_view::npos) {
            throw InputError("query parameter '" + std::string(name) + "' needs a value (" + std::string(name) + "=…)");
        }
        if (!parameters.emplace(std::string(name), std::string(part.substr(eq + 1))).second) {
            throw InputError("query parameter '" + std::string(name) + "' is given twice");
        }
    }
    return parameters;
}

std::uint64_t query_number(const QueryParameters& parameters, std::string_view name, std::uint64_t fallback,
                           std::uint64_t min, std::uint64_t max) {
    const auto it = parameters.find(name);
    if (it == parameters.end()) return fallback;
    const std::string& text = it->second;
    const std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    // from_chars alone would accept a leading '-' for signed types only, but
    // check every character so that the rule is plain: digits and nothing else.
    bool digits = !text.empty();
    for (const char c : text) digits = digits && c >= '0' && c <= '9';
    std::uint64_t value = 0;
    if (digits) {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        digits = ec == std::errc{} && end == text.data() + text.size();
    }
    if (!digits || value < min || value > max) {
        throw InputError("query parameter '" + std::string(name) + "' must be " + range + ", not '" +
                         printable_excerpt(text, 30) + "'");
    }
    return value;
}

}  // namespace kim::server::http
