/*
 * server/app.c - jotd the server (see app.h): the services the endpoints
 * share, built from the settings and the store, their periodic work, and
 * the routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/endpoints.h"

/* A list setting (checked by config.c) as an array of its items, but
 * skip. */
static void split_list(const char *list, const char *skip, char ***items, size_t *n)
{
    if (!list)
        return;
    char *copy = jotd_xstrdup(list);
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (skip && strcmp(t, skip) == 0)
            continue;
        *items = jotd_xrealloc(*items, (*n + 1) * sizeof **items);
        (*items)[(*n)++] = jotd_xstrdup(t);
    }
    free(copy);
}

int jotd_app_new(const jotd_config *cfg, jotd_store *store, jotd_app **out, char *err, size_t errlen)
{
    *out = NULL;
    int have_keys = jotd_keys_exist(store);
    if (have_keys < 0) {
        snprintf(err, errlen, "cannot read the store");
        return -1;
    }
    jotd_app *a = jotd_xcalloc(1, sizeof *a);
    a->cfg = cfg;
    a->store = store;
    /* A master key is created only for a store that has no sealed key yet:
     * a missing key file beside a populated store is an error to report,
     * not a reason to start over. */
    if (jotd_master_key_load(cfg, !have_keys, a->master, err, errlen) != 0) {
        free(a);
        return -1;
    }
    jotd_usage_init(&a->usage, store, jotd_now());
    if (jotd_revocations_open(&a->rev, cfg, store, &a->metrics) != 0) {
        snprintf(err, errlen, "cannot read the revoked sessions and API tokens");
        jotd_app_free(a);
        return -1;
    }
    if (cfg->introspect_secret) {
        jotd_buf b;
        jotd_buf_init(&b);
        jotd_buf_printf(&b, "%s:%s", cfg->introspect_client_id, cfg->introspect_secret);
        jotd_sha256(b.p, b.len, a->introspect_auth);
        jotd_buf_release(&b);
    }
    jotd_keyring_params kp = {cfg, store, a->master, jotd_check_revoked, &a->rev, jotd_check_api_revoked, &a->rev};
    if (jotd_keyring_open(&kp, &a->keys, err, errlen) != 0) {
        jotd_app_free(a);
        return -1;
    }
    /* The dummy hash for unknown users, with the configured parameters so
     * that verifying against it costs what a real one costs. */
    uint8_t rnd[24];
    char pw[40];
    jotd_random(rnd, sizeof rnd);
    jot_base64url_encode(rnd, sizeof rnd, pw);
    a->dummy_hash = jotd_password_hash(cfg, pw, strlen(pw));
    jot_wipe(pw, sizeof pw);
    if (!a->dummy_hash) {
        snprintf(err, errlen, "argon2id does not work with these parameters");
        jotd_app_free(a);
        return -1;
    }
    uint64_t seed;
    jotd_random(&seed, sizeof seed);
    jotd_throttle_params tp = {
        .pair_limit = cfg->login_limit_user,
        .addr_limit = cfg->login_limit_address,
        .slow_after = cfg->login_slow_after,
        .window = cfg->login_window,
        .signup_limit = cfg->signup_limit_address,
        .signup_window = cfg->signup_window,
        .max_entries = cfg->login_track_max,
        .seed = seed,
    };
    a->throttle = jotd_throttle_new(&tp);
    a->pool = jotd_pool_new(cfg->hash_workers, cfg->hash_queue);
    /* X-Jot-Sub is always there. */
    split_list(cfg->verify_claims, "sub", &a->verify_claims, &a->nverify_claims);
    split_list(cfg->trusted_proxies, NULL, &a->proxies, &a->nproxies);
    const char *names[JOTD_METRIC_ROUTES + 1];
    size_t n = 0;
    for (; n < jotd_nroutes && n < JOTD_METRIC_ROUTES; n++)
        names[n] = jotd_routes[n].path;
    names[n] = NULL;
    jotd_metrics_init(&a->metrics, names);
    *out = a;
    return 0;
}

void jotd_app_routes(jotd_app *a, jotd_http *h, jotd_http_options *o)
{
    for (size_t i = 0; i < jotd_nroutes; i++)
        jotd_http_route(h, jotd_routes[i].method, jotd_routes[i].path, jotd_routes[i].bodies, jotd_routes[i].fn, a);
    o->observe = jotd_metrics_observe;
    o->observe_ctx = &a->metrics;
}

void jotd_app_tick(jotd_app *a, int64_t now)
{
    jotd_keyring_reload(a->keys, now);
    /* Revocations made by other processes on the same store (another jotd,
     * a future admin command) reach /verify within one tick, even where no
     * notification came. */
    jotd_revocations_poll(&a->rev);
    jotd_revocations_sweep(&a->rev, now);
    jotd_usage_flush(&a->usage, now);
    /* Sealed successors go once the grace window has closed; families go
     * once nothing of them can be used or must be recognised (a late replay
     * of a dead family's token is refused as unknown). Both are indexed. */
    jotd_store_purge(a->store, now - a->cfg->refresh_grace - 1,
                     now - a->cfg->access_ttl - JOTD_KEY_SLACK - jotd_touch_slack(a->cfg));
    if (now - a->last_purge >= 60) {
        a->last_purge = now;
        jotd_throttle_sweep(a->throttle, now);
    }
}

void jotd_app_shutdown(jotd_app *a)
{
    if (a && a->pool)
        jotd_pool_shutdown(a->pool);
}

void jotd_app_free(jotd_app *a)
{
    if (!a)
        return;
    jotd_revocations_close(&a->rev);
    jotd_pool_free(a->pool);
    jotd_throttle_free(a->throttle);
    jotd_keyring_free(a->keys);
    jotd_usage_release(&a->usage);
    jot_wipe(a->introspect_auth, sizeof a->introspect_auth);
    jotd_free_secret(a->dummy_hash);
    for (size_t i = 0; i < a->nverify_claims; i++)
        free(a->verify_claims[i]);
    free(a->verify_claims);
    for (size_t i = 0; i < a->nproxies; i++)
        free(a->proxies[i]);
    free(a->proxies);
    jot_wipe(a->master, sizeof a->master);
    free(a);
}
