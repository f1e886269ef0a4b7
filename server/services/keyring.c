/* server/services/keyring.c - see keyring.h */
#include "services/keyring.h"

#include <pthread.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"

struct jotd_keyring {
    jotd_keyring_params p;
    pthread_mutex_t lock;
    jotd_keysnap *cur;
};

/* The state of each key row at time now (rows sorted by activation). */
typedef struct timeline {
    ssize_t current;     /* index of the signing key */
    int64_t *retired_at; /* 0 while not retired */
} timeline;

static void compute_timeline(const jotd_key_row *rows, size_t n, int64_t now, timeline *t)
{
    t->current = -1;
    t->retired_at = jotd_xcalloc(n ? n : 1, sizeof *t->retired_at);
    for (size_t i = 0; i < n; i++)
        if (rows[i].activate_at <= now)
            t->current = (ssize_t)i;
    /* Every key before the current one was retired when its successor
     * activated. */
    for (ssize_t i = 0; i < t->current; i++)
        t->retired_at[i] = rows[i + 1].activate_at;
}

/* Until when a key retired at retired verifies access tokens: its last
 * access token's expiry (keyring.h). */
static int64_t access_end(const jotd_config *cfg, int64_t retired)
{
    return retired + cfg->access_ttl + JOTD_KEY_SLACK;
}

/* Until when it stays published (the JWKS) and in the API verifier: its
 * last access token's expiry, or its last API token's. */
static int64_t publish_end(const jotd_config *cfg, const jotd_key_row *row, int64_t retired)
{
    int64_t access = access_end(cfg, retired), api = row->api_until + JOTD_KEY_SLACK;
    return access > api ? access : api;
}

static int64_t refresh_end(const jotd_config *cfg, int64_t retired)
{
    return retired + (cfg->session_max > cfg->refresh_ttl ? cfg->session_max : cfg->refresh_ttl) + JOTD_KEY_SLACK;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    for (int b = 0; b < 8; b++) {
        h ^= (v >> (8 * b)) & 0xff;
        h *= 1099511628211ull;
    }
    return h;
}

/* What the snapshot is built from: the keys, their activations and, for
 * retired keys, their last API token's expiry (the current key's moves
 * with every API token made, and matters only once it retires). */
static uint64_t fingerprint(const jotd_key_row *rows, size_t n, int64_t now)
{
    timeline t;
    compute_timeline(rows, n, now, &t);
    free(t.retired_at);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        for (const char *p = rows[i].kid; *p; p++) {
            h ^= (unsigned char)*p;
            h *= 1099511628211ull;
        }
        h = fnv_u64(h, (uint64_t)rows[i].activate_at);
        if ((ssize_t)i < t.current)
            h = fnv_u64(h, (uint64_t)rows[i].api_until);
    }
    return h ^ n;
}

static void aad_for(const char *kid, char *aad, size_t n)
{
    snprintf(aad, n, "jotd signing key %s", kid);
}

/* Unseal one row into a private key with its kid and alg. */
static int unseal_key(const jotd_keyring_params *p, const jotd_key_row *row, jot_key **out, char *err,
                      size_t errlen)
{
    char aad[128], *jwk = NULL;
    size_t jwk_len = 0;
    aad_for(row->kid, aad, sizeof aad);
    if (jotd_open(p->master, aad, row->sealed, row->sealed_len, &jwk, &jwk_len) != 0) {
        snprintf(err, errlen, "cannot unseal signing key %s: wrong master key, or the store was altered",
                 row->kid);
        return -1;
    }
    jot_key *key = NULL;
    jot_status st = jot_key_from_jwk(jwk, jwk_len, &key);
    jotd_free_secret(jwk);
    if (st != JOT_OK) {
        snprintf(err, errlen, "signing key %s: %s", row->kid, jot_strerror(st));
        return -1;
    }
    const char *kid = jot_key_kid(key);
    if (!kid || strcmp(kid, row->kid) != 0) {
        jot_key_free(key);
        snprintf(err, errlen, "signing key %s: its kid does not match its row", row->kid);
        return -1;
    }
    *out = key;
    return 0;
}

/* The key to verify with: the public half of an asymmetric key (so that
 * the verifiers never hold private material), the secret itself for HMAC. */
static jot_key *verify_half(jot_key *priv, char **pub_jwk)
{
    *pub_jwk = NULL;
    if (jot_key_type(priv) == JOT_KTY_OCT) {
        jot_key *k = NULL;
        /* A second reference is not public API; re-parse the secret. */
        char *jwk = NULL;
        if (jot_key_to_jwk(priv, JOT_JWK_PRIVATE, &jwk) != JOT_OK)
            return NULL;
        if (jot_key_from_jwk(jwk, strlen(jwk), &k) != JOT_OK)
            k = NULL;
        jot_free(jwk);
        return k;
    }
    char *jwk = NULL;
    if (jot_key_to_jwk(priv, JOT_JWK_PUBLIC, &jwk) != JOT_OK)
        return NULL;
    jot_key *k = NULL;
    if (jot_key_from_jwk(jwk, strlen(jwk), &k) != JOT_OK) {
        jot_free(jwk);
        return NULL;
    }
    *pub_jwk = jwk;
    return k;
}

static void snap_free(jotd_keysnap *s)
{
    if (!s)
        return;
    jotd_vcache_free(s->vcache);
    jot_verifier_free(s->access);
    jot_verifier_free(s->refresh);
    jot_verifier_free(s->api);
    jot_keyset_free(s->published_keys);
    jot_keyset_free(s->access_keys);
    jot_keyset_free(s->refresh_keys);
    jot_key_free(s->signer);
    jot_key_free(s->refresh_signer);
    free(s->jwks);
    free(s);
}

void jotd_keysnap_release(jotd_keysnap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snap_free(s);
}

static void jwks_add(jotd_buf *jwks, const char *pub_jwk)
{
    /* RFC 7517 4.2: these keys are for signatures only. */
    if (jwks->len > 9)
        jotd_buf_adds(jwks, ",");
    if (!strstr(pub_jwk, "\"use\"") && pub_jwk[0] == '{') {
        jotd_buf_adds(jwks, "{\"use\":\"sig\",");
        jotd_buf_adds(jwks, pub_jwk + 1);
    } else {
        jotd_buf_adds(jwks, pub_jwk);
    }
}

/* The refresh MAC key of signing key kid (see keys.h), with its kid and
 * algorithm set. NULL on failure. */
static jot_key *refresh_key(const uint8_t *master, const char *kid)
{
    char label[128];
    int n = snprintf(label, sizeof label, "jotd refresh+jwt v1 %s", kid);
    uint8_t secret[32];
    jotd_hmac_sha256(master, JOTD_MASTER_KEY_LEN, label, (size_t)n, secret);
    jot_key *k = NULL;
    jot_status st = jot_key_from_secret(secret, sizeof secret, &k);
    jot_wipe(secret, sizeof secret);
    char rkid[72];
    snprintf(rkid, sizeof rkid, "r-%s", kid);
    if (st == JOT_OK)
        st = jot_key_set_kid(k, rkid);
    if (st == JOT_OK)
        st = jot_key_set_alg(k, JOT_HS256);
    if (st != JOT_OK) {
        jot_key_free(k);
        return NULL;
    }
    return k;
}

static const char *const access_required[] = {"sub", "jti", "exp", "iat", "sid"};
static const char *const api_required[] = {"sub", "jti", "exp", "iat"};
static const char *const refresh_required[] = {"sub", "jti", "exp", "sid"};

/* What a snapshot is built from, as the keys are added one by one. */
typedef struct builder {
    const jotd_keyring_params *p;
    jotd_keysnap *s;
    jotd_buf jwks;
    unsigned access_algs, api_algs, refresh_algs;
} builder;

/* The uses of a key at some time (keyring.h, the timeline). */
typedef struct key_use {
    int current;  /* it signs */
    int access;   /* it verifies access tokens */
    int publish;  /* it is in the JWKS and verifies API tokens */
    int refresh;  /* it verifies refresh tokens (its MAC key) */
} key_use;

/* Add one key for its uses; the current one signs. 0, or -1 with err. */
static int add_key(builder *b, const jotd_key_row *row, const key_use *u, char *err, size_t errlen)
{
    jotd_keysnap *s = b->s;
    jot_key *priv = NULL;
    if (unseal_key(b->p, row, &priv, err, errlen) != 0)
        return -1;
    char *pub_jwk = NULL;
    jot_key *vk = verify_half(priv, &pub_jwk);
    if (!vk) {
        snprintf(err, errlen, "signing key %s: cannot derive its public key", row->kid);
        jot_key_free(priv);
        return -1;
    }
    unsigned algs = JOT_ALG_BIT(jot_key_alg(priv));
    int ok = 1;
    if (u->access) {
        ok = jot_keyset_add(s->access_keys, vk) == JOT_OK;
        b->access_algs |= algs;
    }
    if (u->publish) {
        ok = ok && jot_keyset_add(s->published_keys, vk) == JOT_OK;
        b->api_algs |= algs;
        if (pub_jwk)
            jwks_add(&b->jwks, pub_jwk);
        s->npublished++;
    }
    if (u->refresh) {
        jot_key *rk = refresh_key(b->p->master, row->kid);
        ok = ok && rk && jot_keyset_add(s->refresh_keys, rk) == JOT_OK &&
             jot_keyset_add(s->refresh_keys, vk) == JOT_OK;
        b->refresh_algs |= algs | JOT_ALG_BIT(JOT_HS256);
        if (ok && u->current) {
            s->refresh_signer = rk;
            snprintf(s->refresh_kid, sizeof s->refresh_kid, "%s", jot_key_kid(rk));
            rk = NULL;
        }
        jot_key_free(rk);
    }
    jot_key_free(vk);
    jot_free(pub_jwk);
    if (u->current) {
        s->signer = priv;
        s->alg = jot_key_alg(priv);
        snprintf(s->kid, sizeof s->kid, "%s", row->kid);
    } else {
        jot_key_free(priv);
    }
    if (!ok)
        snprintf(err, errlen, "out of memory building the key set");
    return ok ? 0 : -1;
}

/* Add every key that is still of use at now, the current one first in the
 * JWKS, then the next ones, then the retired ones; note in valid_until when
 * the timeline next changes. 0, or -1 with err. */
static int add_keys(builder *b, const jotd_key_row *rows, size_t n, const timeline *t, int64_t now, char *err,
                    size_t errlen)
{
    const jotd_config *cfg = b->p->cfg;
    jotd_keysnap *s = b->s;
    size_t order_n = 0;
    size_t *order = jotd_xcalloc(n, sizeof *order);
    order[order_n++] = (size_t)t->current;
    for (size_t i = (size_t)t->current + 1; i < n; i++)
        order[order_n++] = i;
    for (ssize_t i = t->current - 1; i >= 0; i--)
        order[order_n++] = (size_t)i;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < order_n; k++) {
        size_t i = order[k];
        const jotd_key_row *row = &rows[i];
        int is_current = (ssize_t)i == t->current;
        int is_next = (ssize_t)i > t->current;
        key_use u = {is_current, is_current || is_next, is_current || is_next, is_current || is_next};
        if (!is_current && !is_next) {
            int64_t ends[3] = {access_end(cfg, t->retired_at[i]), publish_end(cfg, row, t->retired_at[i]),
                               refresh_end(cfg, t->retired_at[i])};
            u.access = now < ends[0];
            u.publish = now < ends[1];
            u.refresh = now < ends[2];
            for (int e = 0; e < 3; e++)
                if (now < ends[e] && ends[e] < s->valid_until)
                    s->valid_until = ends[e];
        }
        if (is_next && row->activate_at < s->valid_until)
            s->valid_until = row->activate_at;
        if (u.publish || u.refresh)
            rc = add_key(b, row, &u, err, errlen);
    }
    free(order);
    return rc;
}

/* The three verifiers of a snapshot: access tokens, refresh tokens, API
 * tokens. */
static jot_status make_verifiers(const builder *b)
{
    const jotd_config *cfg = b->p->cfg;
    jotd_keysnap *s = b->s;
    jot_verify_policy ap;
    jot_verify_policy_init(&ap);
    ap.keys = s->access_keys;
    ap.algs = b->access_algs;
    ap.issuer = cfg->issuer;
    ap.audience = cfg->audience;
    ap.typ = "at+jwt";
    ap.required = access_required;
    ap.required_count = sizeof access_required / sizeof access_required[0];
    ap.max_size = 8192;
    ap.check = b->p->check;
    ap.check_ctx = b->p->check_ctx;
    jot_status st = jot_verifier_new(&ap, &s->access);
    if (st != JOT_OK)
        return st;
    jot_verify_policy rp;
    jot_verify_policy_init(&rp);
    rp.keys = s->refresh_keys;
    rp.algs = b->refresh_algs;
    rp.issuer = cfg->issuer;
    rp.audience = cfg->issuer;
    rp.typ = "refresh+jwt";
    rp.required = refresh_required;
    rp.required_count = sizeof refresh_required / sizeof refresh_required[0];
    rp.max_size = 8192;
    st = jot_verifier_new(&rp, &s->refresh);
    if (st != JOT_OK)
        return st;
    /* API tokens: signed like access tokens (so that resource servers can
     * verify them with the JWKS too), told apart by their typ (RFC 8725
     * 3.11) and refused once revoked (by jti). Their verifier has the keys
     * kept for them too, which the access verifier has not. */
    ap.keys = s->published_keys;
    ap.algs = b->api_algs;
    ap.typ = "api+jwt";
    ap.required = api_required;
    ap.required_count = sizeof api_required / sizeof api_required[0];
    ap.check = b->p->api_check;
    ap.check_ctx = b->p->api_check_ctx;
    return jot_verifier_new(&ap, &s->api);
}

static jotd_keysnap *build(const jotd_keyring_params *p, const jotd_key_row *rows, size_t n, int64_t now,
                           char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "the store holds no signing key");
        return NULL;
    }
    timeline t;
    compute_timeline(rows, n, now, &t);
    if (t.current < 0) {
        /* Every key activates in the future: sign with the earliest rather
         * than not at all. */
        jotd_log("warn", "no signing key is active yet; using the earliest", "kid", rows[0].kid, NULL);
        t.current = 0;
    }
    builder b = {p, jotd_xcalloc(1, sizeof *b.s), {0}, 0, 0, 0};
    jotd_keysnap *s = b.s;
    atomic_init(&s->refs, 1);
    s->fingerprint = fingerprint(rows, n, now);
    s->valid_until = INT64_MAX;
    jotd_buf_init(&b.jwks);
    jotd_buf_adds(&b.jwks, "{\"keys\":[");
    int ok = jot_keyset_new(&s->published_keys) == JOT_OK && jot_keyset_new(&s->access_keys) == JOT_OK &&
             jot_keyset_new(&s->refresh_keys) == JOT_OK;
    if (!ok)
        snprintf(err, errlen, "out of memory building the key set");
    ok = ok && add_keys(&b, rows, n, &t, now, err, errlen) == 0;
    free(t.retired_at);
    jotd_buf_adds(&b.jwks, "]}");
    jot_status st = ok ? make_verifiers(&b) : JOT_OK;
    if (st != JOT_OK) {
        snprintf(err, errlen, "cannot build the verifiers: %s", jot_strerror(st));
        ok = 0;
    }
    if (!ok || !s->signer || !s->refresh_signer) {
        if (ok)
            snprintf(err, errlen, "no signing key");
        jotd_buf_release(&b.jwks);
        snap_free(s);
        return NULL;
    }
    s->jwks_len = b.jwks.len;
    s->jwks = jotd_buf_take(&b.jwks);
    if (p->cfg->verify_cache) {
        uint64_t seed;
        jotd_random(&seed, sizeof seed);
        s->vcache = jotd_vcache_new(p->cfg->verify_cache, seed);
    }
    return s;
}

int jotd_keys_exist(jotd_store *store)
{
    jotd_key_row *rows;
    size_t n;
    if (jotd_store_key_list(store, &rows, &n) != JOTD_STORE_OK)
        return -1;
    jotd_key_rows_free(rows, n);
    return n > 0;
}

int jotd_keys_signing_at(jotd_store *store, int64_t at, char kid[64])
{
    jotd_key_row *rows;
    size_t n;
    if (jotd_store_key_list(store, &rows, &n) != JOTD_STORE_OK)
        return -1;
    timeline t;
    compute_timeline(rows, n, at, &t);
    int rc = t.current < 0 ? -1 : 0;
    if (rc == 0)
        snprintf(kid, 64, "%s", rows[t.current].kid);
    free(t.retired_at);
    jotd_key_rows_free(rows, n);
    return rc;
}

int jotd_keys_generate(jotd_store *store, const jotd_config *cfg, const uint8_t *master, int64_t now,
                       int64_t activate_at, char kid_out[64], char *err, size_t errlen)
{
    jot_alg alg = jot_alg_from_name(cfg->alg, strlen(cfg->alg));
    jot_key *key = NULL;
    jot_status st = jot_key_generate(alg, 0, &key);
    if (st != JOT_OK) {
        snprintf(err, errlen, "cannot generate a %s key: %s", cfg->alg, jot_strerror(st));
        return -1;
    }
    char kid[44];
    char *jwk = NULL;
    /* RFC 7638: the kid is the key's thumbprint, so it names the key and
     * nothing else. */
    st = jot_key_thumbprint(key, kid);
    if (st == JOT_OK)
        st = jot_key_set_kid(key, kid);
    if (st == JOT_OK && jot_key_alg(key) != alg)
        st = jot_key_set_alg(key, alg);
    if (st == JOT_OK)
        st = jot_key_to_jwk(key, JOT_JWK_PRIVATE, &jwk);
    jot_key_free(key);
    if (st != JOT_OK) {
        snprintf(err, errlen, "cannot prepare the new key: %s", jot_strerror(st));
        return -1;
    }
    jotd_key_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.kid, sizeof row.kid, "%s", kid);
    snprintf(row.alg, sizeof row.alg, "%s", jot_alg_name(alg));
    char aad[128];
    aad_for(kid, aad, sizeof aad);
    jotd_seal(master, aad, jwk, strlen(jwk), &row.sealed, &row.sealed_len);
    jot_free(jwk);
    row.created_at = now;
    row.activate_at = activate_at;
    jotd_store_rc rc = jotd_store_key_insert(store, &row);
    free(row.sealed);
    if (rc != JOTD_STORE_OK) {
        snprintf(err, errlen, "cannot store the new key");
        return -1;
    }
    snprintf(kid_out, 64, "%s", kid);
    return 0;
}

int jotd_keyring_open(const jotd_keyring_params *p, jotd_keyring **out, char *err, size_t errlen)
{
    *out = NULL;
    int64_t now = jotd_now();
    jotd_key_row *rows;
    size_t n;
    if (jotd_store_key_list(p->store, &rows, &n) != JOTD_STORE_OK) {
        snprintf(err, errlen, "cannot read the signing keys");
        return -1;
    }
    if (n == 0) {
        char kid[64];
        if (jotd_keys_generate(p->store, p->cfg, p->master, now, now, kid, err, errlen) != 0)
            return -1;
        jotd_log("info", "generated the first signing key", "kid", kid, "alg", p->cfg->alg, NULL);
        jotd_key_rows_free(rows, n);
        if (jotd_store_key_list(p->store, &rows, &n) != JOTD_STORE_OK) {
            snprintf(err, errlen, "cannot read the signing keys");
            return -1;
        }
    }
    jotd_keysnap *s = build(p, rows, n, now, err, errlen);
    jotd_key_rows_free(rows, n);
    if (!s)
        return -1;
    jotd_keyring *kr = jotd_xcalloc(1, sizeof *kr);
    kr->p = *p;
    pthread_mutex_init(&kr->lock, NULL);
    kr->cur = s;
    *out = kr;
    return 0;
}

void jotd_keyring_free(jotd_keyring *kr)
{
    if (!kr)
        return;
    jotd_keysnap_release(kr->cur);
    pthread_mutex_destroy(&kr->lock);
    free(kr);
}

jotd_keysnap *jotd_keyring_acquire(jotd_keyring *kr)
{
    pthread_mutex_lock(&kr->lock);
    jotd_keysnap *s = kr->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&kr->lock);
    return s;
}

int jotd_keyring_reload(jotd_keyring *kr, int64_t now)
{
    jotd_key_row *rows;
    size_t n;
    if (jotd_store_key_list(kr->p.store, &rows, &n) != JOTD_STORE_OK)
        return -1;
    /* Keys past their last use go, unless it would leave none. */
    timeline t;
    compute_timeline(rows, n, now, &t);
    int deleted = 0;
    for (ssize_t i = 0; i < t.current; i++) {
        int64_t end = refresh_end(kr->p.cfg, t.retired_at[i]);
        int64_t pe = publish_end(kr->p.cfg, &rows[i], t.retired_at[i]);
        if (now >= end && now >= pe && jotd_store_key_delete(kr->p.store, rows[i].kid) == JOTD_STORE_OK) {
            jotd_log("info", "deleted a retired signing key", "kid", rows[i].kid, NULL);
            deleted = 1;
        }
    }
    free(t.retired_at);
    if (deleted) {
        jotd_key_rows_free(rows, n);
        if (jotd_store_key_list(kr->p.store, &rows, &n) != JOTD_STORE_OK)
            return -1;
    }
    jotd_keysnap *old = jotd_keyring_acquire(kr);
    int needed = old->fingerprint != fingerprint(rows, n, now) || now >= old->valid_until;
    const char *old_kid = needed ? jotd_xstrdup(old->kid) : NULL;
    jotd_keysnap_release(old);
    if (!needed) {
        jotd_key_rows_free(rows, n);
        return 0;
    }
    char err[256];
    jotd_keysnap *s = build(&kr->p, rows, n, now, err, sizeof err);
    jotd_key_rows_free(rows, n);
    if (!s) {
        jotd_log("error", "cannot reload the signing keys; keeping the previous ones", "detail", err, NULL);
        free((char *)old_kid);
        return -1;
    }
    char count[16];
    snprintf(count, sizeof count, "%zu", s->npublished);
    jotd_log("info", "signing keys reloaded", "signing_kid", s->kid, "previous_kid", old_kid, "published", count,
             NULL);
    free((char *)old_kid);
    pthread_mutex_lock(&kr->lock);
    old = kr->cur;
    kr->cur = s;
    pthread_mutex_unlock(&kr->lock);
    jotd_keysnap_release(old);
    return 1;
}

static void fmt_time(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int jotd_keys_print(jotd_store *store, const jotd_config *cfg, int64_t now, FILE *f)
{
    jotd_key_row *rows;
    size_t n;
    if (jotd_store_key_list(store, &rows, &n) != JOTD_STORE_OK)
        return -1;
    timeline t;
    compute_timeline(rows, n, now, &t);
    fprintf(f, "%-44s %-6s %-8s %-21s %s\n", "KID", "ALG", "STATE", "ACTIVATES", "PUBLISHED UNTIL");
    for (size_t i = 0; i < n; i++) {
        const char *state;
        char act[32], until[32];
        fmt_time(rows[i].activate_at, act, sizeof act);
        snprintf(until, sizeof until, "-");
        if ((ssize_t)i == t.current) {
            state = "current";
        } else if ((ssize_t)i > t.current) {
            state = "next";
        } else {
            int64_t pe = publish_end(cfg, &rows[i], t.retired_at[i]);
            state = now < pe ? "retired" : "expired";
            fmt_time(pe, until, sizeof until);
        }
        fprintf(f, "%-44s %-6s %-8s %-21s %s\n", rows[i].kid, rows[i].alg, state, act, until);
    }
    free(t.retired_at);
    jotd_key_rows_free(rows, n);
    return 0;
}
