/* server/services/metrics.c - see metrics.h */
#include "services/metrics.h"

#include <string.h>

static const double bounds[JOTD_METRIC_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};

void jotd_metrics_init(jotd_metrics *m, const char *const *routes)
{
    memset(m, 0, sizeof *m);
    size_t used = 0;
    for (size_t i = 0; routes[i] && i < JOTD_METRIC_ROUTES - 2; i++) {
        size_t k = 0;
        while (k < used && strcmp(m->routes[k].route, routes[i]) != 0)
            k++;
        if (k == used)
            m->routes[used++].route = routes[i];
        m->slot[i] = (unsigned char)k;
        m->nroutes = i + 1;
    }
    m->routes[used].route = "unmatched";
    m->unmatched = used++;
    m->routes[used].route = "dashboard";
    m->dashboard = used;
}

void jotd_metrics_inc(atomic_ulong *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

void jotd_metrics_observe(int route, unsigned status, double seconds, void *ctx)
{
    jotd_metrics *m = ctx;
    size_t i = route < 0 ? m->unmatched : (size_t)route < m->nroutes ? m->slot[route] : m->dashboard;
    jotd_route_metrics *rm = &m->routes[i];
    unsigned cls = status / 100;
    atomic_fetch_add_explicit(&rm->status[cls <= 5 ? cls : 0], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < JOTD_METRIC_BUCKETS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&rm->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rm->sum_us, (unsigned long)(seconds * 1e6), memory_order_relaxed);
}

static unsigned long get(const atomic_ulong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void family(jotd_buf *o, const char *name, const char *type, const char *help)
{
    jotd_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labelled(jotd_buf *o, const char *name, const char *label, const char *const *values,
                     const atomic_ulong *counters, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jotd_buf_printf(o, "%s{%s=\"%s\"} %lu\n", name, label, values[i], get(&counters[i]));
}

void jotd_metrics_render(const jotd_metrics *m, const jotd_metrics_gauges *g, jotd_buf *o)
{
    static const char *const login[] = {"success", "failure", "throttled", "overloaded"};
    static const char *const signup[] = {"created", "conflict", "overloaded", "throttled", "weak_password"};
    static const char *const refresh[] = {"rotated", "grace", "invalid", "reuse"};
    static const char *const verify[] = {"valid", "invalid", "revoked"};
    static const char *const revoke[] = {"logout", "revoke", "reuse"};

    family(o, "jotd_logins_total", "counter", "Login attempts by result.");
    labelled(o, "jotd_logins_total", "result", login, m->logins, JOTD_LOGIN_N);
    family(o, "jotd_signups_total", "counter", "Signups by result.");
    labelled(o, "jotd_signups_total", "result", signup, m->signups, JOTD_SIGNUP_N);
    family(o, "jotd_refreshes_total", "counter", "Refresh token exchanges by result.");
    labelled(o, "jotd_refreshes_total", "result", refresh, m->refreshes, JOTD_REFRESH_N);
    family(o, "jotd_refresh_reuse_detected_total", "counter",
           "Spent refresh tokens presented again (the family was revoked).");
    jotd_buf_printf(o, "jotd_refresh_reuse_detected_total %lu\n", get(&m->refreshes[JOTD_REFRESH_REUSE]));
    family(o, "jotd_verify_total", "counter", "GET /verify results.");
    labelled(o, "jotd_verify_total", "result", verify, m->verify, JOTD_VERIFY_N);
    family(o, "jotd_verify_cache_hits_total", "counter",
           "GET /verify answers for a token found in the cache of verified tokens (no signature verification).");
    jotd_buf_printf(o, "jotd_verify_cache_hits_total %lu\n", get(&m->verify_cache_hits));
    family(o, "jotd_family_revocations_total", "counter", "Refresh families revoked, by cause.");
    labelled(o, "jotd_family_revocations_total", "reason", revoke, m->revocations, JOTD_REVOKE_N);

    family(o, "jotd_password_hash_queue", "gauge", "Password hashes waiting for a worker.");
    jotd_buf_printf(o, "jotd_password_hash_queue %u\n", g->hash_queue);
    family(o, "jotd_revoked_families", "gauge", "Revoked families held in memory for /verify.");
    jotd_buf_printf(o, "jotd_revoked_families %zu\n", g->revoked_families);
    family(o, "jotd_published_keys", "gauge", "Keys published in the JWKS.");
    jotd_buf_printf(o, "jotd_published_keys %zu\n", g->published_keys);

    family(o, "jotd_http_requests_total", "counter", "HTTP requests by route and status class.");
    static const char *const classes[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (size_t i = 0; i < JOTD_METRIC_ROUTES && m->routes[i].route; i++)
        for (size_t c = 0; c < 6; c++) {
            unsigned long v = get(&m->routes[i].status[c]);
            if (v)
                jotd_buf_printf(o, "jotd_http_requests_total{route=\"%s\",status=\"%s\"} %lu\n", m->routes[i].route,
                                classes[c], v);
        }
    family(o, "jotd_http_request_duration_seconds", "histogram",
           "Time from a request's first byte to its response being queued.");
    for (size_t i = 0; i < JOTD_METRIC_ROUTES && m->routes[i].route; i++) {
        const jotd_route_metrics *rm = &m->routes[i];
        unsigned long cum = 0;
        for (size_t b = 0; b < JOTD_METRIC_BUCKETS; b++) {
            cum += get(&rm->bucket[b]);
            jotd_buf_printf(o, "jotd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n", rm->route,
                            bounds[b], cum);
        }
        cum += get(&rm->bucket[JOTD_METRIC_BUCKETS]);
        jotd_buf_printf(o, "jotd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n", rm->route,
                        cum);
        jotd_buf_printf(o, "jotd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", rm->route,
                        (double)get(&rm->sum_us) / 1e6);
        /* The buckets are read one by one while requests go on: the count
         * is the +Inf bucket as read, so that the two agree as the format
         * requires (a separately read counter could be ahead of it). */
        jotd_buf_printf(o, "jotd_http_request_duration_seconds_count{route=\"%s\"} %lu\n", rm->route, cum);
    }
}
