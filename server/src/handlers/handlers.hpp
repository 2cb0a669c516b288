// The endpoints of protocol v1, one family per file, each added to a router.
#pragma once

namespace kim::server {
class AuditService;
class AuthService;
class DashboardSessions;
class LoginGuard;
class Store;
class SyncService;
namespace stats {
class StatsService;
}
}  // namespace kim::server

namespace kim::server::http {

class Router;
class Metrics;

// POST /v1/auth/challenge, POST /v1/auth/token (auth_handlers.cpp).
void add_auth_routes(Router& router, AuthService& auth);
// POST /v1/push, GET /v1/pull (sync_handlers.cpp).
void add_sync_routes(Router& router, AuthService& auth, SyncService& sync, Metrics& metrics);
// GET /v1/audit/keys, GET /v1/audit/log, GET and POST /v1/audit/checkpoints
// (audit_handlers.cpp).
void add_audit_routes(Router& router, AuthService& auth, AuditService& audit);
// GET /v1/stats (stats_handlers.cpp).
void add_stats_routes(Router& router, AuthService& auth, DashboardSessions& sessions, stats::StatsService& stats);
// POST, GET and DELETE /v1/session: the dashboard's sign-in (session_handlers.cpp).
void add_session_routes(Router& router, Store& store, DashboardSessions& sessions, LoginGuard& guard);
// GET /, /dashboard.js, /dashboard.css: the dashboard's files, compiled in
// (dashboard_handlers.cpp).
void add_dashboard_routes(Router& router);
// GET /healthz, GET /metrics (health_handlers.cpp).
void add_health_routes(Router& router, const Metrics& metrics);

}  // namespace kim::server::http
