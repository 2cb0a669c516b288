// The dashboard's files: served at their paths with the right types and the
// security headers, self-contained (no address of another host anywhere), and
// carrying every id and chart the browser test and the coordinators rely on.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "handlers/handlers.hpp"
#include "http/router.hpp"

using kim::server::http::Request;
using kim::server::http::Response;
using kim::server::http::Router;
using kim::server::http::request_for_target;

namespace {

Router dashboard_router() {
    Router router;
    kim::server::http::add_dashboard_routes(router);
    return router;
}

Response get(const std::string& target) { return dashboard_router().handle(request_for_target("GET", target)); }

std::string header(const Response& response, const std::string& name) {
    for (const auto& [n, v] : response.headers) {
        if (n == name) return v;
    }
    return "";
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The three files together, as a browser would get them.
std::string all_files() { return get("/").body + get("/dashboard.js").body + get("/dashboard.css").body; }

}  // namespace

TEST(dashboard, each_file_is_served_with_its_type_and_the_security_headers) {
    const struct {
        const char* path;
        const char* type;
    } files[] = {{"/", "text/html; charset=utf-8"},
                 {"/index.html", "text/html; charset=utf-8"},
                 {"/dashboard.js", "text/javascript; charset=utf-8"},
                 {"/dashboard.css", "text/css; charset=utf-8"}};
    for (const auto& file : files) {
        const Response response = get(file.path);
        EXPECT_EQ(response.status, 200u) << file.path;
        EXPECT_EQ(response.content_type, file.type) << file.path;
        EXPECT_FALSE(response.body.empty()) << file.path;
        EXPECT_EQ(header(response, "Content-Security-Policy"),
                  "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                  "form-action 'self'")
            << file.path;
        EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff") << file.path;
        EXPECT_EQ(header(response, "Referrer-Policy"), "no-referrer") << file.path;
        EXPECT_EQ(header(response, "X-Frame-Options"), "DENY") << file.path;
    }
    EXPECT_EQ(get("/").body, get("/index.html").body);
}

TEST(dashboard, other_paths_and_methods_are_not_the_dashboard) {
    EXPECT_EQ(get("/dashboard.txt").status, 404u);
    EXPECT_EQ(dashboard_router().handle(request_for_target("POST", "/")).status, 405u);
}

TEST(dashboard, the_page_loads_nothing_from_another_host) {
    for (const char* target : {"/", "/dashboard.js", "/dashboard.css"}) {
        const std::string body = get(target).body;
        EXPECT_FALSE(contains(body, "http://")) << target;
        EXPECT_FALSE(contains(body, "https://")) << target;
        EXPECT_FALSE(contains(body, "//cdn")) << target;
        EXPECT_FALSE(contains(body, "@import")) << target;
    }
}

TEST(dashboard, the_page_has_no_inline_script_or_style_that_the_policy_would_block) {
    const std::string page = get("/").body;
    EXPECT_TRUE(contains(page, "<script src=\"/dashboard.js\" defer></script>"));
    EXPECT_TRUE(contains(page, "<link rel=\"stylesheet\" href=\"/dashboard.css\">"));
    // One <script> element, and it has a src; no style element or attribute,
    // no event handler attribute.
    std::size_t scripts = 0;
    for (std::size_t at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1)) {
        ++scripts;
    }
    EXPECT_EQ(scripts, 1u);
    EXPECT_FALSE(contains(page, "<style"));
    EXPECT_FALSE(contains(page, " style="));
    EXPECT_FALSE(contains(page, " onclick="));
    EXPECT_FALSE(contains(page, " onload="));
    EXPECT_FALSE(contains(page, " onsubmit="));
    EXPECT_FALSE(contains(page, "javascript:"));
    EXPECT_TRUE(contains(page, "<html lang=\"de\">"));
}

TEST(dashboard, every_id_and_chart_the_browser_test_relies_on_is_present) {
    const std::string page = get("/").body;
    for (const char* id : {"login-view", "login-form", "login-name", "login-password", "login-submit", "login-error",
                           "dashboard-view", "signed-in-as", "logout"}) {
        EXPECT_TRUE(contains(page, std::string("id=\"") + id + "\"")) << id;
    }
    EXPECT_TRUE(contains(page, "autocomplete=\"current-password\""));
    EXPECT_TRUE(contains(page, "type=\"password\""));
    EXPECT_TRUE(contains(page, "role=\"alert\""));
    for (const char* chart : {"open-by-phase-site", "needs", "opened-closed", "referrals", "barriers"}) {
        EXPECT_TRUE(contains(page, std::string("<section class=\"chart\" data-chart=\"") + chart + "\""))
            << chart;
    }
    // The script draws every number with these attributes and talks to these endpoints.
    const std::string script = get("/dashboard.js").body;
    for (const char* part : {"data-chart", "data-key", "data-count", "data-suppressed", "/v1/stats", "/v1/session",
                             "format=csv", "csv-download", "gesperrt"}) {
        EXPECT_TRUE(contains(script, part)) << part;
    }
    for (const char* query : {"count=cases&by=site,phase'", "count=cases&by=need",
                              "count=cases&by=opened_quarter", "count=cases&by=closed_quarter",
                              "count=referrals&by=target_type,outcome", "count=referrals&by=barrier"}) {
        EXPECT_TRUE(contains(script, query)) << query;
    }
    // Unfiltered questions only: a filtered table is suppressed on its own and
    // could give a cell of the unfiltered one away (docs/decisions.md 91).
    EXPECT_FALSE(contains(script, "site=")) << "the page asks no per-site question";
    EXPECT_FALSE(contains(script, "=!")) << "the page asks no filtered question";
}

TEST(dashboard, the_files_never_end_the_raw_string_they_are_compiled_into) {
    // server/CMakeLists.txt embeds them as R"kimembed(…)kimembed"; a file
    // that contained the closing delimiter would not compile, and one that
    // came out shorter would mean the text was cut.
    EXPECT_FALSE(contains(all_files(), ")kimembed"));
    EXPECT_TRUE(contains(get("/").body, "</html>"));
}
