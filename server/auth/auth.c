/* server/auth/auth.c - see auth.h */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"

/* Every endpoint, in one table: the metrics name the routes in the order
 * they are registered. */
typedef struct route_def {
    const char *method;
    const char *path;
    unsigned bodies;
    jotd_handler fn;
} route_def;

#define BOTH (JOTD_BODY_JSON | JOTD_BODY_FORM)

static const route_def routes[] = {
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

#define NROUTES (sizeof routes / sizeof routes[0])

/* One revocation from the log into the in-memory sets. A family's stays
 * as long as the revoking jotd said its access tokens live, or as long as
 * this one's access-ttl says, whichever is longer: a restart with a lower
 * access-ttl must not let older, longer-lived tokens back in. */
static void add_revoked(jotd_revocation_kind kind, const char *id, int64_t revoked_at, int64_t until, void *ctx)
{
    jotd_auth *a = ctx;
    if (kind == JOTD_REVOKED_API) {
        jotd_revoked_add(a->revoked_api, id, until);
        return;
    }
    int64_t ours = revoked_at + a->cfg->access_ttl + JOTD_KEY_SLACK;
    jotd_revoked_add(a->revoked, id, until > ours ? until : ours);
}

int jotd_poll_revocations(jotd_auth *a)
{
    pthread_mutex_lock(&a->poll_lock);
    jotd_store_rc rc = jotd_store_revocations(a->store, &a->revocations_cursor, jotd_now(), add_revoked, a);
    pthread_mutex_unlock(&a->poll_lock);
    return rc == JOTD_STORE_OK ? 0 : -1;
}

static void revocation_notified(void *ctx)
{
    jotd_poll_revocations(ctx);
}

static void parse_verify_claims(jotd_auth *a)
{
    if (!a->cfg->verify_claims)
        return;
    char *copy = jotd_xstrdup(a->cfg->verify_claims);
    char *save = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, "sub") == 0)
            continue; /* X-Jot-Sub is always there. */
        a->verify_claims = jotd_xrealloc(a->verify_claims, (a->nverify_claims + 1) * sizeof *a->verify_claims);
        a->verify_claims[a->nverify_claims++] = jotd_xstrdup(t);
    }
    free(copy);
}

/* The trusted-proxies setting (checked by config.c) as a list. */
static void parse_proxies(jotd_auth *a)
{
    if (!a->cfg->trusted_proxies)
        return;
    char *copy = jotd_xstrdup(a->cfg->trusted_proxies);
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        a->proxies = jotd_xrealloc(a->proxies, (a->nproxies + 1) * sizeof *a->proxies);
        a->proxies[a->nproxies++] = jotd_xstrdup(t);
    }
    free(copy);
}

static int is_proxy(const jotd_auth *a, const char *addr)
{
    for (size_t i = 0; i < a->nproxies; i++)
        if (strcmp(a->proxies[i], addr) == 0)
            return 1;
    return 0;
}

/* Say once that X-Forwarded-For came from a peer that is not a trusted
 * proxy: behind a proxy that jotd does not trust, every client has the
 * proxy's address, and the per-address login limit is shared by all. */
static void warn_untrusted_xff(const jotd_req *r, const char *peer)
{
    static atomic_int warned;
    if (atomic_load_explicit(&warned, memory_order_relaxed) || !jotd_req_header(r, "X-Forwarded-For") ||
        atomic_exchange(&warned, 1))
        return;
    jotd_log("warn",
             "X-Forwarded-For from a peer that is not in trusted-proxies: it is ignored, and every client behind "
             "that peer shares its address (and its login limits); set trusted-proxies if it is your proxy",
             "peer", peer, NULL);
}

/* Every X-Forwarded-For line, joined (a proxy may add a line of its own
 * after one the client wrote, rather than append to it): in buf when it
 * fits, else in memory the caller frees (*heap). NULL when there is none. */
static char *xff_lines(const jotd_req *r, char *buf, size_t n, char **heap)
{
    *heap = NULL;
    int rc = jotd_req_header_list(r, "X-Forwarded-For", buf, n);
    if (rc >= 0)
        return rc == 1 ? buf : NULL;
    /* Longer than buf: as long as the request's headers may be. */
    size_t big = 256 * 1024;
    *heap = jotd_xmalloc(big);
    if (jotd_req_header_list(r, "X-Forwarded-For", *heap, big) != 1) {
        free(*heap);
        *heap = NULL;
        return NULL;
    }
    return *heap;
}

const char *jotd_auth_client(const jotd_auth *a, const jotd_req *r, char *buf, size_t n)
{
    const char *peer = jotd_req_client(r);
    snprintf(buf, n, "%s", peer);
    if (!is_proxy(a, peer)) {
        warn_untrusted_xff(r, peer);
        return buf;
    }
    char stack[2048], *heap;
    const char *xff = xff_lines(r, stack, sizeof stack, &heap);
    if (!xff)
        return buf;
    /* From the right: each hop appended the address it saw. */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *b = start, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        char hop[64];
        if ((size_t)(e - b) >= sizeof hop)
            break; /* not an address: keep the last one trusted */
        memcpy(hop, b, (size_t)(e - b));
        hop[e - b] = '\0';
        if (!jotd_ip_valid(hop))
            break;
        snprintf(buf, n, "%s", hop);
        if (!is_proxy(a, hop))
            break;
        end = start > xff ? start - 1 : xff;
    }
    free(heap);
    return buf;
}

int jotd_auth_new(const jotd_config *cfg, jotd_store *store, jotd_auth **out, char *err, size_t errlen)
{
    *out = NULL;
    int have_keys = jotd_keys_exist(store);
    if (have_keys < 0) {
        snprintf(err, errlen, "cannot read the store");
        return -1;
    }
    jotd_auth *a = jotd_xcalloc(1, sizeof *a);
    a->cfg = cfg;
    a->store = store;
    /* A master key is created only for a store that has no sealed key yet:
     * a missing key file beside a populated store is an error to report,
     * not a reason to start over. */
    if (jotd_master_key_load(cfg, !have_keys, a->master, err, errlen) != 0) {
        free(a);
        return -1;
    }
    a->revoked = jotd_revoked_new();
    a->revoked_api = jotd_revoked_new();
    a->api_used = jotd_revoked_new();
    pthread_mutex_init(&a->poll_lock, NULL);
    a->last_purge = 0;
    a->last_api_flush = jotd_now();
    /* Every revocation still in force, from the start of the log. */
    if (jotd_poll_revocations(a) != 0) {
        snprintf(err, errlen, "cannot read the revoked sessions and API tokens");
        jotd_auth_free(a);
        return -1;
    }
    if (cfg->introspect_secret) {
        jotd_buf b;
        jotd_buf_init(&b);
        jotd_buf_printf(&b, "%s:%s", cfg->introspect_client_id, cfg->introspect_secret);
        jotd_sha256(b.p, b.len, a->introspect_auth);
        jotd_buf_release(&b);
    }
    jotd_keyring_params kp = {cfg, store, a->master, jotd_check_revoked, a, jotd_check_api_revoked, a};
    if (jotd_keyring_open(&kp, &a->keys, err, errlen) != 0) {
        jotd_auth_free(a);
        return -1;
    }
    /* The dummy hash for unknown users, with the configured parameters so
     * that verifying against it costs what a real one costs. */
    uint8_t rnd[24];
    char pw[40];
    jotd_random(rnd, sizeof rnd);
    jotd_b64url(rnd, sizeof rnd, pw);
    a->dummy_hash = jotd_password_hash(cfg, pw, strlen(pw));
    jotd_wipe(pw, sizeof pw);
    if (!a->dummy_hash) {
        snprintf(err, errlen, "argon2id does not work with these parameters");
        jotd_auth_free(a);
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
    parse_verify_claims(a);
    parse_proxies(a);
    const char *names[NROUTES + 1];
    for (size_t i = 0; i < NROUTES; i++)
        names[i] = routes[i].path;
    names[NROUTES] = NULL;
    jotd_metrics_init(&a->metrics, names);
    /* Revocations by other jotd on the store reach this one at once where
     * the store can say so (PostgreSQL), and by the tick's poll anyway. */
    jotd_store_watch_revocations(store, revocation_notified, a);
    *out = a;
    return 0;
}

void jotd_auth_routes(jotd_auth *a, jotd_http *h, jotd_http_options *o)
{
    for (size_t i = 0; i < NROUTES; i++)
        jotd_http_route(h, routes[i].method, routes[i].path, routes[i].bodies, routes[i].fn, a);
    o->observe = jotd_metrics_observe;
    o->observe_ctx = &a->metrics;
}

int64_t jotd_touch_slack(const jotd_config *cfg)
{
    int64_t s = cfg->refresh_ttl / 10;
    return s < 3600 ? s : 3600;
}

void jotd_auth_tick(jotd_auth *a, int64_t now)
{
    jotd_keyring_reload(a->keys, now);
    /* Revocations made by other processes on the same store (another jotd,
     * a future admin command) reach /verify within one tick, even where no
     * notification came. */
    jotd_poll_revocations(a);
    jotd_api_tick(a, now);
    jotd_revoked_sweep(a->revoked, now);
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

void jotd_auth_shutdown(jotd_auth *a)
{
    if (a && a->pool)
        jotd_pool_shutdown(a->pool);
}

void jotd_auth_free(jotd_auth *a)
{
    if (!a)
        return;
    jotd_store_watch_revocations(a->store, NULL, NULL);
    jotd_pool_free(a->pool);
    jotd_throttle_free(a->throttle);
    jotd_keyring_free(a->keys);
    jotd_revoked_free(a->revoked);
    jotd_revoked_free(a->revoked_api);
    jotd_revoked_free(a->api_used);
    jotd_wipe(a->introspect_auth, sizeof a->introspect_auth);
    jotd_free_secret(a->dummy_hash);
    for (size_t i = 0; i < a->nverify_claims; i++)
        free(a->verify_claims[i]);
    free(a->verify_claims);
    for (size_t i = 0; i < a->nproxies; i++)
        free(a->proxies[i]);
    free(a->proxies);
    jotd_wipe(a->master, sizeof a->master);
    pthread_mutex_destroy(&a->poll_lock);
    free(a);
}
