/*
 * server/auth/tokens.c - minting tokens and writing token responses.
 *
 * Access tokens follow RFC 9068: header typ "at+jwt" (2.1) and kid; claims
 * iss, exp, aud, sub, client_id, iat, jti (2.2), plus sid (the refresh
 * family: the login), and the user's role and name. Refresh tokens are JWTs
 * of typ "refresh+jwt" whose audience is jotd itself, so neither kind can be
 * taken for the other (RFC 8725 3.11, 3.12); jotd alone reads them, so they
 * carry a MAC (HS256 under a key derived from the master key, keys.h)
 * rather than a signature.
 */
#include <stdio.h>
#include <string.h>

#include "auth/internal.h"

char *jotd_mint(const jotd_mint_spec *m)
{
    jot_builder *b = NULL;
    if (jot_builder_new(&b) != JOT_OK)
        return NULL;
    jot_status st = jot_builder_header_string(b, "typ", m->typ);
    if (st == JOT_OK)
        st = jot_builder_header_string(b, "kid", m->kid);
    if (st == JOT_OK)
        st = jot_builder_set_string(b, "iss", m->iss);
    if (st == JOT_OK)
        st = jot_builder_set_string(b, "sub", m->sub);
    if (st == JOT_OK)
        st = jot_builder_set_string(b, "aud", m->aud);
    if (st == JOT_OK)
        st = jot_builder_set_int(b, "exp", m->exp);
    if (st == JOT_OK)
        st = jot_builder_set_int(b, "iat", m->iat);
    if (st == JOT_OK)
        st = jot_builder_set_string(b, "jti", m->jti);
    for (size_t i = 0; st == JOT_OK && m->more[i]; i += 2)
        if (m->more[i + 1])
            st = jot_builder_set_string(b, m->more[i], m->more[i + 1]);
    char *tok = NULL;
    if (st == JOT_OK)
        st = jot_builder_sign(b, m->key, m->alg, &tok);
    if (st != JOT_OK)
        jotd_log("error", "cannot make a token", "typ", m->typ, "detail", jot_strerror(st), NULL);
    jot_builder_free(b);
    return tok;
}

char *jotd_mint_access(const jotd_auth *a, const jotd_keysnap *ks, const jotd_user *u, const char *sid,
                       int64_t now, int64_t session_end, int64_t *exp)
{
    char jti[23];
    jotd_random_id(jti);
    /* No access token outlives its login (session-max). */
    *exp = now + a->cfg->access_ttl < session_end ? now + a->cfg->access_ttl : session_end;
    const char *more[] = {"client_id", a->cfg->client_id, "sid", sid, "role", u->role, "name", u->username, NULL};
    jotd_mint_spec m = {.typ = "at+jwt", .kid = ks->kid, .key = ks->signer, .alg = ks->alg,
                        .iss = a->cfg->issuer, .sub = u->id, .aud = a->cfg->audience, .jti = jti,
                        .iat = now, .exp = *exp, .more = more};
    return jotd_mint(&m);
}

char *jotd_mint_refresh(const jotd_auth *a, const jotd_keysnap *ks, const char *sub, const char *sid,
                        const char *jti, int64_t now, int64_t exp)
{
    const char *more[] = {"sid", sid, NULL};
    /* jotd is the audience: only jotd reads refresh tokens. */
    jotd_mint_spec m = {.typ = "refresh+jwt", .kid = ks->refresh_kid, .key = ks->refresh_signer, .alg = JOT_HS256,
                        .iss = a->cfg->issuer, .sub = sub, .aud = a->cfg->issuer, .jti = jti,
                        .iat = now, .exp = exp, .more = more};
    return jotd_mint(&m);
}

void jotd_token_response(jotd_req *r, const char *access, int64_t access_exp, const char *refresh,
                         int64_t refresh_exp, int in_body, int64_t now)
{
    /* Room for the usual tokens on the stack: no allocation, no growth. */
    char stack[2048], cstack[1024];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
    jotd_buf_adds(&b, "{\"access_token\":");
    jotd_buf_json_str(&b, access);
    jotd_buf_printf(&b, ",\"token_type\":\"Bearer\",\"expires_in\":%lld", (long long)(access_exp - now));
    if (!refresh) {
        /* The access token alone: the client holds its refresh token. */
    } else if (in_body) {
        jotd_buf_adds(&b, ",\"refresh_token\":");
        jotd_buf_json_str(&b, refresh);
        jotd_buf_printf(&b, ",\"refresh_expires_in\":%lld", (long long)(refresh_exp - now));
    } else {
        /* The refresh token lives in a cookie that scripts cannot read
         * (HttpOnly), that travels only over HTTPS (Secure), never on a
         * cross-site request (SameSite=Strict, RFC 6265bis), and only
         * to the refresh endpoint and below (Path=/token). */
        jotd_buf c;
        jotd_buf_init_stack(&c, cstack, sizeof cstack);
        jotd_buf_printf(&c, "%s=%s; Path=%s; Max-Age=%lld; HttpOnly; Secure; SameSite=Strict", JOTD_COOKIE,
                        refresh, JOTD_COOKIE_PATH, (long long)(refresh_exp - now));
        jotd_resp_header(r, "Set-Cookie", c.p);
        jotd_buf_release(&c);
    }
    jotd_buf_adds(&b, "}");
    jotd_resp_json(r, 200, b.p);
    jotd_buf_release(&b);
}

void jotd_clear_cookie(jotd_req *r)
{
    jotd_resp_header(r, "Set-Cookie",
                     JOTD_COOKIE "=; Path=" JOTD_COOKIE_PATH "; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
}

const char *jotd_bearer(const jotd_req *r, size_t *len)
{
    const char *h = jotd_req_header(r, "Authorization");
    if (!h)
        return NULL;
    /* RFC 6750 2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive
     * (RFC 9110 11.1). */
    if (!jotd_strncaseeq(h, "Bearer ", 7))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    *len = n;
    return h;
}

void jotd_store_failed(jotd_req *r)
{
    jotd_resp_header(r, "Retry-After", "1");
    jotd_resp_error(r, 503, "temporarily_unavailable", "the store is not available");
}

jotd_store_rc jotd_revoke_family(jotd_auth *a, const char *sid, const char *reason, int64_t now)
{
    /* The family's access tokens all expire within access-ttl (plus the
     * key slack for clock and reload): the revocation is in force until
     * then, here and, through the store's log, on every jotd. */
    int64_t until = now + a->cfg->access_ttl + JOTD_KEY_SLACK;
    jotd_store_rc rc = jotd_store_family_revoke(a->store, sid, now, reason, until);
    /* Into the in-memory set even if the store failed: /verify must refuse
     * the family's access tokens at once. */
    jotd_revoked_add(a->revoked, sid, until);
    if (rc == JOTD_STORE_OK) {
        int which = strcmp(reason, "reuse") == 0    ? JOTD_REVOKE_REUSE
                    : strcmp(reason, "logout") == 0 ? JOTD_REVOKE_LOGOUT
                                                    : JOTD_REVOKE_REVOKE;
        jotd_metrics_inc(&a->metrics.revocations[which]);
        jotd_log("info", "session revoked", "sid", sid, "reason", reason, NULL);
    }
    return rc;
}

jot_status jotd_check_revoked(const jot_claims *claims, void *ctx)
{
    jotd_auth *a = ctx;
    const char *sid;
    size_t len;
    if (jot_claims_string(claims, "sid", &sid, &len) != JOT_OK)
        return JOT_E_MISSING_CLAIM;
    return jotd_revoked_has(a->revoked, sid, len) ? JOT_E_REVOKED : JOT_OK;
}
