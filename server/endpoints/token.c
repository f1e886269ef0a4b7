/*
 * server/endpoints/token.c - POST /token: the OAuth 2.0 token endpoint for
 * grant_type=refresh_token (RFC 6749 6), with rotation and reuse detection
 * (OAuth 2.0 Security BCP, RFC 9700 4.14.2).
 *
 * Every use spends the presented refresh token and issues its successor in
 * the same family, in one write transaction that reads the token's row,
 * spends it with a compare-and-set and inserts the successor
 * (jotd_store_refresh_exchange): two requests racing with one token are
 * serialised by it, and the second finds the token spent. A spent token presented again means that two
 * parties hold it, so the whole family is revoked - except within the grace
 * window (refresh-grace), and only for the immediate predecessor of the
 * family's current token: then the answer is that same current token again,
 * so that two browser tabs refreshing at once do not log their user out.
 * The successor's text is kept for that, sealed under the master key, and
 * wiped once the window has closed.
 *
 * The grace window serves only the client that spent the token: the
 * exchange records a keyed hash of its address and User-Agent, and a
 * presentation from any other client is reuse, as outside the window. It
 * answers at most GRACE_ANSWERS times per spent token (atomically, in the
 * store; beyond, the same client is refused without revoking anything),
 * and to a browser (the cookie) with a new access token only: the
 * browser already holds the successor in its cookie, so the successor's
 * text never leaves jotd twice by that way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/endpoints.h"

/* Grace answers per spent token: two or three tabs racing need one or two. */
#define GRACE_ANSWERS 3

static void invalid_grant(jotd_app *a, jotd_req *r, int cookie, const char *why)
{
    jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_INVALID]);
    if (cookie)
        jotd_clear_cookie(r);
    jotd_resp_error(r, 401, "invalid_grant", why);
}

static void successor_aad(const char *jti, char *out, size_t n)
{
    snprintf(out, n, "jotd successor of %s", jti);
}

/* Who presents a refresh token: a keyed hash of the client's address and
 * User-Agent (keyed, so that the store does not hold addresses in a form
 * anyone could test guesses against). */
static void client_mark(jotd_app *a, jotd_req *r, int cookie, uint8_t out[32])
{
    char addr[64];
    jotd_client_addr(a, r, addr, sizeof addr);
    const char *ua = jotd_req_header(r, "User-Agent");
    jotd_buf b;
    jotd_buf_init(&b);
    /* The way the token came (cookie or body) is part of the client: a
     * token spent through the cookie gets no grace answer, with the
     * successor's text, through the body. */
    jotd_buf_printf(&b, "jotd refresh client v2\n%s\n%s\n%s", cookie ? "cookie" : "body", addr, ua ? ua : "");
    jotd_hmac_sha256(a->master, JOTD_MASTER_KEY_LEN, b.p, b.len, out);
    jotd_buf_release(&b);
}

/* Answer with a fresh access token and the given refresh token (NULL:
 * the access token alone). */
static int respond(jotd_app *a, jotd_req *r, const jotd_keysnap *ks, const jotd_refresh_info *info,
                   const char *refresh, int64_t refresh_exp, int cookie, int64_t now)
{
    int64_t access_exp = 0;
    char *access = jotd_mint_access(a->cfg, ks, &info->user, info->family_id, now, info->family_expires_at, &access_exp);
    if (!access) {
        jotd_resp_error(r, 500, "server_error", "cannot sign tokens");
        return -1;
    }
    jotd_token_response(r, access, access_exp, refresh, refresh_exp, !cookie, now);
    jot_free(access);
    return 0;
}

/* The grace path: a new access token and, to a client that keeps its
 * refresh token in the body, the sealed successor again. */
static int grace(jotd_app *a, jotd_req *r, const jotd_keysnap *ks, const jotd_refresh_info *info, int cookie,
                 int64_t now)
{
    if (cookie) {
        if (respond(a, r, ks, info, NULL, 0, 1, now) != 0)
            return 0;
        jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_GRACE]);
        jotd_req_note(r, "refresh_grace");
        return 0;
    }
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

/* The exchange's decision, taken inside the store's transaction (store.h):
 * spend the token and mint its successor only when the row is the exact
 * token issued, active, unexpired, and its family alive. Everything else is
 * answered after the transaction, from the row read. */
typedef struct exchange {
    jotd_app *a;
    const jotd_keysnap *ks;
    uint8_t hash[32]; /* of the token presented */
    int64_t now;
    uint8_t client[32]; /* client_mark of the presenter */
    char *succ_tok;   /* minted successor (jot_free) */
    int64_t succ_exp;
    uint8_t *sealed;  /* its sealed copy for the grace window */
    int mint_failed;
} exchange;

static int decide(const jotd_refresh_info *info, jotd_successor *succ, void *ctx)
{
    exchange *x = ctx;
    const jotd_config *cfg = x->a->cfg;
    if (!jot_equal(info->hash, x->hash, sizeof x->hash) || info->family_revoked_at ||
        x->now >= info->family_expires_at || info->state != JOTD_REFRESH_ACTIVE || x->now >= info->expires_at)
        return 0;
    jotd_random_id(succ->row.jti);
    succ->row.issued_at = x->now;
    succ->row.expires_at = x->now + cfg->refresh_ttl < info->family_expires_at ? x->now + cfg->refresh_ttl
                                                                               : info->family_expires_at;
    x->succ_exp = succ->row.expires_at;
    x->succ_tok = jotd_mint_refresh(x->a->cfg, x->ks, info->user.id, info->family_id, succ->row.jti, x->now,
                                    succ->row.expires_at);
    if (!x->succ_tok) {
        x->mint_failed = 1;
        return 0;
    }
    jotd_sha256(x->succ_tok, strlen(x->succ_tok), succ->row.hash);
    memcpy(succ->spent_by, x->client, sizeof succ->spent_by);
    if (cfg->refresh_grace > 0) {
        char aad[96];
        size_t sealed_len = 0;
        successor_aad(info->jti, aad, sizeof aad);
        jotd_seal(x->a->master, aad, x->succ_tok, strlen(x->succ_tok), &x->sealed, &sealed_len);
        succ->sealed = x->sealed;
        succ->sealed_len = sealed_len;
        succ->sealed_until = x->now + cfg->refresh_grace + 1;
    }
    /* The family's row (last use, expiry of its newest token) is rewritten
     * only when it lags by more than the touch slack: most rotations then
     * write one b-tree page, not three. The purge allows for the lag
     * (jotd_app_tick). */
    succ->touch_family = succ->row.expires_at - info->family_refresh_expires_at > jotd_touch_slack(cfg);
    return 1;
}

static void rotate(jotd_app *a, jotd_req *r, const jotd_keysnap *ks, const char *token, size_t token_len,
                   const char *sid, const char *jti, int cookie)
{
    const jotd_config *cfg = a->cfg;
    exchange x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.ks = ks;
    x.now = jotd_now();
    jotd_sha256(token, token_len, x.hash);
    client_mark(a, r, cookie, x.client);
    int64_t now = x.now;
    jotd_refresh_info info;
    int rotated = 0;
    jotd_store_rc rc = jotd_store_refresh_exchange(a->store, sid, jti, now, decide, &x, &info, &rotated);
    if (rc == JOTD_STORE_NOT_FOUND) {
        invalid_grant(a, r, cookie, "unknown refresh token");
    } else if (rc != JOTD_STORE_OK) {
        jotd_store_failed(r);
    } else if (rotated) {
        if (respond(a, r, ks, &info, x.succ_tok, x.succ_exp, cookie, now) == 0) {
            jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_ROTATED]);
            jotd_req_note(r, "refresh");
        }
    } else if (x.mint_failed) {
        jotd_resp_error(r, 500, "server_error", "cannot sign tokens");
    } else if (!jot_equal(info.hash, x.hash, sizeof x.hash)) {
        /* Only the exact token text that was issued: the row keeps its
         * hash. */
        invalid_grant(a, r, cookie, "unknown refresh token");
    } else if (info.family_revoked_at || info.state == JOTD_REFRESH_REVOKED) {
        invalid_grant(a, r, cookie, "the session was revoked; log in again");
    } else if (now >= info.family_expires_at) {
        invalid_grant(a, r, cookie, "the session has reached its maximum age; log in again");
    } else if (info.state == JOTD_REFRESH_SPENT) {
        /* Grace: within the window, the successor still current, the same
         * client that spent it, and answers left (counted in the store,
         * across instances). */
        jotd_store_rc g = JOTD_STORE_NOT_FOUND;
        if (cfg->refresh_grace > 0 && now - info.spent_at <= cfg->refresh_grace && info.successor_active &&
            info.successor_sealed && jot_equal(info.spent_by, x.client, sizeof x.client))
            g = jotd_store_refresh_grace(a->store, sid, jti, GRACE_ANSWERS);
        if (g == JOTD_STORE_ERROR) {
            jotd_store_failed(r);
        } else if (g == JOTD_STORE_CONFLICT) {
            /* The client that spent it, once too often: nothing more for
             * it, but no reason to end the login of what is most likely
             * its owner (nor to clear a cookie that may hold the
             * successor by now). */
            jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_INVALID]);
            jotd_resp_error(r, 401, "invalid_grant", "the refresh token was spent; use its successor");
        } else if (g != JOTD_STORE_OK || grace(a, r, ks, &info, cookie, now) != 0) {
            /* Reuse: two parties hold this token, and one is not its
             * owner. Revoke the family, and with it every access token
             * issued under it. */
            jotd_revoke_family(&a->rev, info.family_id, "reuse", now);
            jotd_metrics_inc(&a->metrics.refreshes[JOTD_REFRESH_REUSE]);
            jotd_req_note(r, "refresh_reuse_detected");
            if (cookie)
                jotd_clear_cookie(r);
            jotd_resp_error(r, 401, "invalid_grant", "refresh token reuse detected; the session is revoked");
        }
    } else {
        invalid_grant(a, r, cookie, "the refresh token has expired");
    }
    jot_free(x.succ_tok);
    free(x.sealed);
    jotd_refresh_info_release(&info);
}

void jotd_h_token(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
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
        const char *jti = NULL, *sid = NULL;
        if (jot_claims_string(c, "jti", &jti, NULL) != JOT_OK || jot_claims_string(c, "sid", &sid, NULL) != JOT_OK)
            invalid_grant(a, r, cookie, "the refresh token has no jti or sid");
        else
            rotate(a, r, ks, token, len, sid, jti, cookie);
    }
    jot_claims_free(c);
    jotd_keysnap_release(ks);
}
