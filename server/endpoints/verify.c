/*
 * server/endpoints/verify.c - GET /verify, for reverse proxies (nginx
 * auth_request).
 *
 * /verify answers from memory only: the access verifier of the current key
 * snapshot (signature, alg, typ at+jwt, iss, aud, exp) and the revoked-family
 * set, or for a token of typ api+jwt the API verifier and the revoked API
 * tokens. It never waits on the store.
 */
#include <stdio.h>
#include <string.h>

#include "endpoints/endpoints.h"

static void unauthorized(jotd_req *r, const char *why)
{
    /* RFC 6750 3: the challenge names the error; the contract asks for
     * exactly `Bearer error="invalid_token"` on every refusal. The reason
     * goes into the JSON body's error_description only, so that the header
     * is the same whatever the token was. */
    jotd_resp_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    jotd_resp_error(r, 401, "invalid_token", why);
}

/* A claim's value as a header value, when it is a plain string or integer
 * with nothing that could split or forge a header. */
static int header_value(const jot_claims *c, const char *name, char *out, size_t n)
{
    const char *s;
    size_t len;
    int64_t v;
    if (jot_claims_string(c, name, &s, &len) == JOT_OK) {
        if (len >= n)
            return -1;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return -1;
        memcpy(out, s, len);
        out[len] = '\0';
        return 0;
    }
    if (jot_claims_int(c, name, &v) == JOT_OK) {
        snprintf(out, n, "%lld", (long long)v);
        return 0;
    }
    return -1;
}

/* "role" -> "X-Jot-Role", "client_id" -> "X-Jot-Client-Id". */
static void header_name(const char *claim, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "X-Jot-");
    int up = 1;
    for (const char *p = claim; *p && o + 1 < n; p++) {
        char ch = *p;
        if (ch == '_') {
            out[o++] = '-';
            up = 1;
            continue;
        }
        if (up && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        up = 0;
        out[o++] = ch;
    }
    out[o] = '\0';
}

/* The 200 answer for a verified token: X-Jot-Sub and the verify-claims
 * headers. */
static size_t answer_headers(const jotd_app *a, const jot_claims *c, char names[][96], char values[][256],
                             size_t max)
{
    size_t n = 0;
    if (header_value(c, "sub", values[n], sizeof values[n]) == 0) {
        snprintf(names[n], sizeof names[n], "X-Jot-Sub");
        n++;
    }
    for (size_t i = 0; i < a->nverify_claims && n < max; i++) {
        if (header_value(c, a->verify_claims[i], values[n], sizeof values[n]) == 0) {
            header_name(a->verify_claims[i], names[n], sizeof names[n]);
            n++;
        }
    }
    return n;
}

#define MAX_ANSWER_HEADERS 12

/* Whether the revocation key kept with a cached answer is revoked: a
 * family's sid, or JOTD_API_CACHE_PREFIX and an API token's jti (whose use
 * is then noted). */
static int cached_revoked(jotd_app *a, const char *key, int64_t now)
{
    size_t pl = sizeof JOTD_API_CACHE_PREFIX - 1;
    if (strncmp(key, JOTD_API_CACHE_PREFIX, pl) != 0)
        return jotd_revoked_has(a->rev.families, key, strlen(key));
    const char *jti = key + pl;
    if (jotd_revoked_has(a->rev.api, jti, strlen(jti)))
        return 1;
    jotd_usage_note(&a->usage, jti, strlen(jti), now);
    return 0;
}

void jotd_h_verify(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    size_t len = 0;
    const char *token = jotd_bearer(r, &len);
    if (!token) {
        jotd_metrics_inc(&a->metrics.verify[JOTD_VERIFY_INVALID]);
        unauthorized(r, "no bearer token");
        return;
    }
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    int64_t now = jotd_now();
    jotd_shared_resp *cached = NULL;
    char sid[JOTD_VCACHE_SID_MAX];
    if (ks->vcache && jotd_vcache_get(ks->vcache, token, len, now, &cached, sid)) {
        /* Verified before with these very keys, and not expired: only
         * the revocation can have changed since. */
        jotd_metrics_inc(&a->metrics.verify_cache_hits);
        if (cached_revoked(a, sid, now)) {
            jotd_metrics_inc(&a->metrics.verify[JOTD_VERIFY_REVOKED]);
            unauthorized(r, "revoked");
        } else {
            jotd_metrics_inc(&a->metrics.verify[JOTD_VERIFY_VALID]);
            jotd_resp_shared(r, cached);
        }
        jotd_shared_resp_release(cached);
        jotd_keysnap_release(ks);
        return;
    }
    jot_claims *c = NULL;
    int is_api = 0;
    jot_status st = jotd_verify_bearer(ks, token, len, &c, &is_api);
    if (st != JOT_OK) {
        if (st == JOT_E_REVOKED) {
            jotd_metrics_inc(&a->metrics.verify[JOTD_VERIFY_REVOKED]);
            unauthorized(r, "revoked");
        } else {
            jotd_metrics_inc(&a->metrics.verify[JOTD_VERIFY_INVALID]);
            unauthorized(r, jot_status_code(st));
        }
        jotd_keysnap_release(ks);
        return;
    }
    char names[MAX_ANSWER_HEADERS][96], values[MAX_ANSWER_HEADERS][256];
    size_t n = answer_headers(a, c, names, values, MAX_ANSWER_HEADERS);
    jotd_metrics_inc(&a->metrics.verify[JOTD_VERIFY_VALID]);
    /* What a cache hit must check for revocation: the sid of an access
     * token, the jti of an API token. */
    const char *s = NULL;
    size_t slen = 0;
    char key[JOTD_VCACHE_SID_MAX];
    int have_key = 0;
    if (jot_claims_string(c, is_api ? "jti" : "sid", &s, &slen) == JOT_OK) {
        if (is_api)
            jotd_usage_note(&a->usage, s, slen, now);
        have_key = snprintf(key, sizeof key, "%s%s", is_api ? JOTD_API_CACHE_PREFIX : "", s) < (int)sizeof key;
    }
    int64_t exp = 0;
    jotd_shared_resp *shared = NULL;
    if (ks->vcache && have_key && jot_claims_int(c, "exp", &exp) == JOT_OK) {
        const char *np[MAX_ANSWER_HEADERS], *vp[MAX_ANSWER_HEADERS];
        for (size_t i = 0; i < n; i++) {
            np[i] = names[i];
            vp[i] = values[i];
        }
        shared = jotd_shared_resp_new(200, np, vp, n);
    }
    if (shared) {
        jotd_vcache_put(ks->vcache, token, len, exp, key, shared, now);
        jotd_resp_shared(r, shared);
        jotd_shared_resp_release(shared);
    } else {
        for (size_t i = 0; i < n; i++)
            jotd_resp_header(r, names[i], values[i]);
        jotd_resp_body(r, 200, NULL, NULL, 0);
    }
    jot_claims_free(c);
    jotd_keysnap_release(ks);
}
