/*
 * server/endpoints/health.c - what jotd publishes about itself: its public
 * keys (GET /.well-known/jwks.json), whether it can work (GET /healthz),
 * and its counters (GET /metrics, Prometheus text).
 */
#include "endpoints/endpoints.h"

void jotd_h_jwks(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    /* Caches may keep it five minutes: a new key is published
     * key-publish-delay (default ten minutes) before it signs. */
    jotd_resp_header(r, "Cache-Control", "public, max-age=300");
    jotd_resp_body(r, 200, "application/json", ks->jwks, ks->jwks_len);
    jotd_keysnap_release(ks);
}

void jotd_h_healthz(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    if (jotd_store_ping(a->store) == JOTD_STORE_OK)
        jotd_resp_json(r, 200, "{\"status\":\"ok\"}");
    else
        jotd_resp_error(r, 503, "unavailable", "the store does not answer");
}

void jotd_h_metrics(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_metrics_gauges g;
    g.hash_queue = jotd_pool_depth(a->pool);
    g.revoked_families = jotd_revoked_count(a->rev.families);
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    g.published_keys = ks->npublished;
    jotd_keysnap_release(ks);
    jotd_buf b;
    jotd_buf_init(&b);
    jotd_metrics_render(&a->metrics, &g, &b);
    jotd_resp_body(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
    jotd_buf_release(&b);
}
