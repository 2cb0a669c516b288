// GET /healthz and GET /metrics: no token, no personal data, for load
// balancers and Prometheus.
#include "handlers.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "kim/shared/protocol.hpp"

namespace kim::server::http {

void add_health_routes(Router& router, const Metrics& metrics) {
    router.add("GET", protocol::path_health, [](const Request&) {
        return json_response(200, {{"status", "ok"}, {"protocol", protocol::version}});
    });
    router.add("GET", protocol::path_metrics, [&metrics](const Request&) {
        Response response;
        response.content_type = "text/plain; version=0.0.4";
        response.body = metrics.render();
        return response;
    });
}

}  // namespace kim::server::http
