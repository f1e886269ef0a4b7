/* server/endpoints/routes.c - every endpoint of jotd (see endpoints.h). */
#include "endpoints/endpoints.h"

/* Every endpoint, in one table: the metrics name the routes in the order
 * they are registered. */
#define BOTH (JOTD_BODY_JSON | JOTD_BODY_FORM)

const jotd_route_def jotd_routes[] = {
    {"POST", "/signup", JOTD_BODY_JSON, jotd_h_signup},
    {"POST", "/login", JOTD_BODY_JSON, jotd_h_login},
    {"POST", "/token", BOTH, jotd_h_token},
    {"POST", "/token/logout", BOTH, jotd_h_logout},
    {"POST", "/logout", BOTH, jotd_h_logout},
    {"POST", "/revoke", BOTH, jotd_h_revoke},
    {"GET", "/.well-known/jwks.json", JOTD_BODY_NONE, jotd_h_jwks},
    {"GET", "/verify", JOTD_BODY_NONE, jotd_h_verify},
    {"GET", "/healthz", JOTD_BODY_NONE, jotd_h_healthz},
    {"GET", "/metrics", JOTD_BODY_NONE, jotd_h_metrics},
    {"POST", "/api-tokens", JOTD_BODY_JSON, jotd_h_api_create},
    {"GET", "/api-tokens", JOTD_BODY_NONE, jotd_h_api_list},
    {"DELETE", "/api-tokens/{id}", JOTD_BODY_NONE, jotd_h_api_delete},
    {"GET", "/sessions", JOTD_BODY_NONE, jotd_h_sessions_list},
    {"POST", "/sessions/revoke-others", JOTD_BODY_NONE, jotd_h_sessions_revoke_others},
    {"DELETE", "/sessions/{id}", JOTD_BODY_NONE, jotd_h_session_delete},
    {"POST", "/introspect", BOTH, jotd_h_introspect},
};

const size_t jotd_nroutes = sizeof jotd_routes / sizeof jotd_routes[0];
