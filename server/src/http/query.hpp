// Strict parsing of a request's query string: only the parameters an
// endpoint names, each at most once, numbers as plain decimal digits. A
// lenient parser would read `limit=-1` or `limit=1e9` as something it is not.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kim::server::http {

using QueryParameters = std::map<std::string, std::string, std::less<>>;

// "since=3&limit=10" → {since: 3, limit: 10}. InputError for a parameter not
// in `allowed`, one given twice, or one without '=' or name. Values are taken
// as they are (no percent-decoding: no parameter of protocol v1 needs it).
QueryParameters parse_query(std::string_view query, std::initializer_list<std::string_view> allowed);

// For endpoints whose parameter names are open (the filters of /v1/stats):
// every parameter, name and value percent-decoded (browsers encode ',' and
// '!'), each at most once, at most `max_parameters`. InputError otherwise,
// also for a malformed %-escape or a decoded byte below 0x20.
QueryParameters parse_open_query(std::string_view query, std::size_t max_parameters);

// The parameter as an unsigned decimal number in [min, max], or `fallback`
// when absent. InputError for anything else: empty, a sign, spaces, other
// characters, leading '+', out of range.
std::uint64_t query_number(const QueryParameters& parameters, std::string_view name, std::uint64_t fallback,
                           std::uint64_t min, std::uint64_t max);

}  // namespace kim::server::http
