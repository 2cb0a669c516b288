// GET /v1/stats (docs/protocol.md "Statistics"): for coordinators, by bearer
// token or by the dashboard's session cookie; JSON, or CSV on request.
#include <string>
#include <string_view>

#include "auth/auth_service.hpp"
#include "auth/dashboard_sessions.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "http/query.hpp"
#include "http/request_log.hpp"
#include "http/router.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/protocol.hpp"
#include "stats/stats_format.hpp"
#include "stats/stats_service.hpp"

namespace kim::server::http {

namespace {

// count, by, format and one filter per dimension: a few dozen at most.
constexpr std::size_t max_stats_parameters = 40;

bool wants_csv(const Request& request, const stats::Parameters& parameters) {
    if (const auto it = parameters.find("format"); it != parameters.end()) {
        if (it->second == "csv") return true;
        if (it->second == "json") return false;
        throw InputError("format must be json or csv");
    }
    return request.accept.find("text/csv") != std::string::npos;
}

Response stats_response(AuthService& auth, DashboardSessions& sessions, stats::StatsService& service,
                        const Request& request) {
    const Caller caller = caller_by_token_or_session(auth, sessions, request);
    const QueryParameters query = parse_open_query(request.query, max_stats_parameters);
    const stats::Parameters parameters(query.begin(), query.end());
    const bool csv = wants_csv(request, parameters);
    const stats::Table table = service.table(caller, parameters);
    // Who asked what, for accountability (docs/decisions.md 91): names of
    // coordinators and categories only, never a record.
    std::string asked;
    for (const auto& [name, value] : parameters) asked += " " + printable_excerpt(name, 40) + "=" + printable_excerpt(value, 200);
    log_line("stats: " + printable_excerpt(caller.identity, 64) + " asked" + asked + " (as of " +
             std::to_string(table.as_of) + ")");
    if (!csv) return json_response(200, stats::table_to_json(table));
    Response response;
    response.content_type = "text/csv; charset=utf-8";
    response.body = stats::table_to_csv(table);
    response.headers.emplace_back("Content-Disposition",
                                  "attachment; filename=\"" + stats::csv_file_name(table) + "\"");
    return response;
}

}  // namespace

void add_stats_routes(Router& router, AuthService& auth, DashboardSessions& sessions, stats::StatsService& stats) {
    router.add("GET", protocol::path_stats, [&auth, &sessions, &stats](const Request& request) {
        return stats_response(auth, sessions, stats, request);
    });
}

}  // namespace kim::server::http
