// GET /, /index.html, /dashboard.js, /dashboard.css: the coordinators'
// dashboard, compiled into the binary (server/dashboard/), served with a
// strict Content-Security-Policy so that the page loads nothing from elsewhere.
#include <string>
#include <string_view>

#include "handlers.hpp"
#include "http/router.hpp"

namespace kim::embedded {
extern const std::string_view dashboard_index_html;
extern const std::string_view dashboard_js;
extern const std::string_view dashboard_css;
}  // namespace kim::embedded

namespace kim::server::http {

namespace {

// The page's own files only; SVG patterns and the charts are drawn by the
// page, `data:` images are allowed for nothing but the browser's own icons.
constexpr std::string_view content_security_policy =
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

Response dashboard_file(std::string_view content_type, std::string_view body) {
    Response response;
    response.content_type = std::string(content_type);
    response.body = std::string(body);
    response.headers = {
        {"Content-Security-Policy", std::string(content_security_policy)},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        // The files change with the binary; a browser revalidates each time.
        {"Cache-Control", "no-cache"},
    };
    return response;
}

}  // namespace

void add_dashboard_routes(Router& router) {
    const auto page = [](const Request&) {
        return dashboard_file("text/html; charset=utf-8", kim::embedded::dashboard_index_html);
    };
    router.add("GET", "/", page);
    router.add("GET", "/index.html", page);
    router.add("GET", "/dashboard.js", [](const Request&) {
        return dashboard_file("text/javascript; charset=utf-8", kim::embedded::dashboard_js);
    });
    router.add("GET", "/dashboard.css", [](const Request&) {
        return dashboard_file("text/css; charset=utf-8", kim::embedded::dashboard_css);
    });
}

}  // namespace kim::server::http
