/*
 * server/auth/token.c - POST /token: the OAuth 2.0 token endpoint for
 * grant_type=refresh_token (RFC 6749 6), with rotation and reuse detection
 * (OAuth 2.0 Security BCP, RFC 9700 4.14.2).
 *
 * Every use spends the presented refresh token and issues its successor in
 * the same family; the spend is a compare-and-set in the same transaction as
 * the successor's insertion, so two requests racing with one token cannot
 * both mint a successor. A spent token presented again means that two
 * parties hold it, so the whole family is revoked - except within the grace
 * window (refresh-grace), and only for the immediate predecessor of the
 * family's current token: then the answer is that same current token again,
 * so that two browser tabs refreshing at once do not log their user out.
 * The successor's text is kept for that, sealed under the master key, and
 * wiped once the window has closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"

static void invalid_grant(jotd_auth *a, jotd_req *r, int cookie, const char *why)
{
    jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_INVALID]);
    if (cookie)
        jotd_clear_cookie(r);
    jotd_resp_error(r, 401, "invalid_grant", why);
}

static void unavailable(jotd_req *r)
{
    jotd_resp_header(r, "Retry-After", "1");
    jotd_resp_error(r, 503, "temporarily_unavailable", "the store is not available");
}

static void successor_aad(const char *jti, char *out, size_t n)
{
    snprintf(out, n, "jotd successor of %s", jti);
}

/* Answer with a fresh access token and the given refresh token. */
static int respond(jotd_auth *a, jotd_req *r, const jotd_keysnap *ks, const jotd_refresh_info *info,
                   const char *refresh, int64_t refresh_exp, int cookie, int64_t now)
{
    char *access = jotd_mint_access(a, ks, &info->user, info->family_id, now);
    if (!access) {
        jotd_resp_error(r, 500, "server_error", "cannot sign tokens");
        return -1;
    }
    jotd_token_response(a, r, access, refresh, refresh_exp, !cookie, now);
    jot_free(access);
    return 0;
}

/* The grace path: the sealed successor, given again. */
static int grace(jotd_auth *a, jotd_req *r, const jotd_keysnap *ks, const jotd_refresh_info *info, int cookie,
                 int64_t now)
{
    char aad[96], *succ = NULL;
    size_t len;
    successor_aad(info->jti, aad, sizeof aad);
    if (jotd_open(a->master, aad, info->successor_sealed, info->successor_sealed_len, &succ, &len) != 0)
        return -1;
    /* The successor's own lifetime: read it back from its claims. */
    jot_claims *c = NULL;
    int64_t exp = 0;
    if (jot_verify(ks->refresh, succ, len, &c, NULL) != JOT_OK || jot_claims_int(c, "exp", &exp) != JOT_OK) {
        jot_claims_free(c);
        jotd_free_secret(succ);
        return -1;
    }
    jot_claims_free(c);
    int rc = respond(a, r, ks, info, succ, exp, cookie, now);
    jotd_free_secret(succ);
    if (rc == 0) {
        jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_GRACE]);
        jotd_req_note(r, "refresh_grace");
    }
    return 0;
}

static void rotate(jotd_auth *a, jotd_req *r, const jotd_keysnap *ks, const char *token, size_t token_len,
                   const char *jti, int cookie)
{
    const jotd_config *cfg = a->cfg;
    int64_t now = jotd_now();
    uint8_t hash[32];
    jotd_sha256(token, token_len, hash);
    jotd_refresh_info info;
    jotd_store_rc rc = jotd_store_refresh_get(a->store, jti, &info);
    if (rc == JOTD_STORE_NOT_FOUND) {
        invalid_grant(a, r, cookie, "unknown refresh token");
        goto out;
    }
    if (rc != JOTD_STORE_OK) {
        unavailable(r);
        goto out;
    }
    /* Only the exact token text that was issued: the row keeps its hash. */
    if (!jotd_ct_equal(info.hash, hash, sizeof hash)) {
        invalid_grant(a, r, cookie, "unknown refresh token");
        goto out;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        if (info.family_revoked_at) {
            invalid_grant(a, r, cookie, "the session was revoked; log in again");
            goto out;
        }
        if (now >= info.family_expires_at) {
            invalid_grant(a, r, cookie, "the session has reached its maximum age; log in again");
            goto out;
        }
        if (info.state == JOTD_REFRESH_REVOKED) {
            invalid_grant(a, r, cookie, "the session was revoked; log in again");
            goto out;
        }
        if (info.state == JOTD_REFRESH_SPENT) {
            if (cfg->refresh_grace > 0 && now - info.spent_at <= cfg->refresh_grace && info.successor_active &&
                info.successor_sealed && grace(a, r, ks, &info, cookie, now) == 0)
                goto out;
            /* Reuse: two parties hold this token, and one is not its
             * owner. Revoke the family, and with it every access token
             * issued under it. */
            jotd_revoke_family(a, info.family_id, "reuse", now);
            jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_REUSE]);
            jotd_req_note(r, "refresh_reuse_detected");
            if (cookie)
                jotd_clear_cookie(r);
            jotd_resp_error(r, 401, "invalid_grant", "refresh token reuse detected; the session is revoked");
            goto out;
        }
        if (now >= info.expires_at) {
            invalid_grant(a, r, cookie, "the refresh token has expired");
            goto out;
        }
        /* Active: mint the successor, then spend with a compare-and-set. */
        jotd_refresh_new succ;
        memset(&succ, 0, sizeof succ);
        jotd_random_id(succ.jti);
        succ.issued_at = now;
        succ.expires_at = now + cfg->refresh_ttl < info.family_expires_at ? now + cfg->refresh_ttl
                                                                          : info.family_expires_at;
        char *succ_tok = jotd_mint_refresh(a, ks, info.user.id, info.family_id, succ.jti, now, succ.expires_at);
        if (!succ_tok) {
            jotd_resp_error(r, 500, "server_error", "cannot sign tokens");
            goto out;
        }
        jotd_sha256(succ_tok, strlen(succ_tok), succ.hash);
        uint8_t *sealed = NULL;
        size_t sealed_len = 0;
        if (cfg->refresh_grace > 0) {
            char aad[96];
            successor_aad(info.jti, aad, sizeof aad);
            jotd_seal(a->master, aad, succ_tok, strlen(succ_tok), &sealed, &sealed_len);
        }
        rc = jotd_store_refresh_rotate(a->store, info.jti, info.family_id, now, &succ, sealed, sealed_len);
        free(sealed);
        if (rc == JOTD_STORE_OK) {
            if (respond(a, r, ks, &info, succ_tok, succ.expires_at, cookie, now) == 0) {
                jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_ROTATED]);
                jotd_req_note(r, "refresh");
            }
            jot_free(succ_tok);
            goto out;
        }
        jot_free(succ_tok);
        if (rc != JOTD_STORE_CONFLICT) {
            unavailable(r);
            goto out;
        }
        /* Lost the race to another request with the same token: read the
         * row again; it is spent now, so this becomes the grace or the
         * reuse path. */
        jotd_refresh_info_release(&info);
        rc = jotd_store_refresh_get(a->store, jti, &info);
        if (rc != JOTD_STORE_OK) {
            if (rc == JOTD_STORE_NOT_FOUND)
                invalid_grant(a, r, cookie, "unknown refresh token");
            else
                unavailable(r);
            goto out;
        }
    }
    unavailable(r);
out:
    jotd_refresh_info_release(&info);
}

void jotd_h_token(jotd_req *r, void *ctx)
{
    jotd_auth *a = ctx;
    const jotd_params *params = jotd_req_params(r);
    jotd_pkind gk = jotd_req_param_kind(r, "grant_type");
    const char *grant = jotd_req_param(r, "grant_type");
    /* RFC 6749 6 requires grant_type; a browser refreshing through its
     * cookie with an empty body may leave it out. */
    if (gk == JOTD_P_ABSENT && params->n > 0) {
        jotd_resp_error(r, 400, "invalid_request", "grant_type is required");
        return;
    }
    if (gk != JOTD_P_ABSENT && (!grant || strcmp(grant, "refresh_token") != 0)) {
        jotd_resp_error(r, 400, "unsupported_grant_type", "only grant_type=refresh_token is supported here");
        return;
    }
    jotd_pkind tk = jotd_req_param_kind(r, "refresh_token");
    const char *token = jotd_req_param(r, "refresh_token");
    int cookie = 0;
    if (tk != JOTD_P_ABSENT && !token) {
        jotd_resp_error(r, 400, "invalid_request", "refresh_token must be a string");
        return;
    }
    if (!token) {
        token = jotd_req_cookie(r, JOTD_COOKIE);
        cookie = token != NULL;
        /* CSRF defence: a cross-site form cannot set a custom header, and
         * a cross-site script cannot either without a CORS preflight that
         * jotd never grants. */
        if (cookie && !jotd_req_header(r, "X-Requested-With")) {
            jotd_resp_error(r, 400, "invalid_request", "a refresh through the cookie needs the X-Requested-With header");
            return;
        }
    }
    if (!token || !*token) {
        jotd_resp_error(r, 400, "invalid_request", "no refresh token: give refresh_token or the jot_refresh cookie");
        return;
    }
    size_t len = strlen(token);
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    jot_claims *c = NULL;
    jot_diag d;
    jot_diag_init(&d);
    jot_status st = jot_verify(ks->refresh, token, len, &c, &d);
    if (st != JOT_OK) {
        char why[96];
        snprintf(why, sizeof why, "the refresh token is not valid: %s", jot_status_code(st));
        invalid_grant(a, r, cookie, why);
    } else {
        const char *jti = NULL;
        if (jot_claims_string(c, "jti", &jti, NULL) != JOT_OK)
            invalid_grant(a, r, cookie, "the refresh token has no jti");
        else
            rotate(a, r, ks, token, len, jti, cookie);
    }
    jot_claims_free(c);
    jotd_keysnap_release(ks);
}
