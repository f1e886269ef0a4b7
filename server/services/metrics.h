/*
 * server/services/metrics.h - counters and a latency histogram per route,
 * rendered in the Prometheus text exposition format (version 0.0.4).
 * Every update is one relaxed atomic addition: no locks on request paths.
 */
#ifndef JOTD_SERVICES_METRICS_H
#define JOTD_SERVICES_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "base/buf.h"

enum { JOTD_LOGIN_SUCCESS, JOTD_LOGIN_FAILURE, JOTD_LOGIN_THROTTLED, JOTD_LOGIN_OVERLOADED, JOTD_LOGIN_N };
enum {
    JOTD_SIGNUP_CREATED,
    JOTD_SIGNUP_CONFLICT,
    JOTD_SIGNUP_OVERLOADED,
    JOTD_SIGNUP_THROTTLED,
    JOTD_SIGNUP_WEAK,
    JOTD_SIGNUP_N
};
enum { JOTD_REFRESH_ROTATED, JOTD_REFRESH_GRACE, JOTD_REFRESH_INVALID, JOTD_REFRESH_REUSE, JOTD_REFRESH_N };
enum { JOTD_VERIFY_VALID, JOTD_VERIFY_INVALID, JOTD_VERIFY_REVOKED, JOTD_VERIFY_N };
enum { JOTD_REVOKE_LOGOUT, JOTD_REVOKE_REVOKE, JOTD_REVOKE_REUSE, JOTD_REVOKE_N };

#define JOTD_METRIC_ROUTES 24
#define JOTD_METRIC_BUCKETS 14

typedef struct jotd_route_metrics {
    const char *route; /* static, or NULL for an unused slot */
    atomic_ulong status[6]; /* 0: no response, 1xx..5xx */
    atomic_ulong bucket[JOTD_METRIC_BUCKETS + 1];
    atomic_ulong sum_us;
} jotd_route_metrics;

typedef struct jotd_metrics {
    atomic_ulong logins[JOTD_LOGIN_N];
    atomic_ulong signups[JOTD_SIGNUP_N];
    atomic_ulong refreshes[JOTD_REFRESH_N];
    atomic_ulong verify[JOTD_VERIFY_N];
    atomic_ulong revocations[JOTD_REVOKE_N];
    atomic_ulong verify_cache_hits;
    jotd_route_metrics routes[JOTD_METRIC_ROUTES];
    /* The HTTP layer's route index -> its entry in routes: the routes of
     * one path (GET and POST /api-tokens) share one series. */
    unsigned char slot[JOTD_METRIC_ROUTES];
    size_t nroutes; /* route indexes known; others count as unmatched */
    size_t unmatched; /* the entry of "unmatched" */
    size_t dashboard; /* routes registered after these: the dashboard's pages */
} jotd_metrics;

/* Zero everything and name the routes (static strings, NULL-terminated
 * list, in the order the HTTP layer numbers them; a path named twice, for
 * two methods, is one series); requests to other paths count as
 * "unmatched", and routes registered after them as "dashboard". */
void jotd_metrics_init(jotd_metrics *m, const char *const *routes);
void jotd_metrics_inc(atomic_ulong *counter);
/* The observer for the HTTP layer (jotd_http_options.observe): route is
 * the index of the route, or -1. */
void jotd_metrics_observe(int route, unsigned status, double seconds, void *ctx);

typedef struct jotd_metrics_gauges {
    unsigned hash_queue;
    size_t revoked_families;
    size_t published_keys;
} jotd_metrics_gauges;

void jotd_metrics_render(const jotd_metrics *m, const jotd_metrics_gauges *g, jotd_buf *out);

#endif
