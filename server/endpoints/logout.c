/*
 * server/endpoints/logout.c - POST /logout (and /token/logout) and POST /revoke
 * (RFC 7009).
 *
 * Both end a login: the refresh family is revoked in the store, and its sid
 * enters the in-memory revoked set so that /verify refuses the family's
 * access tokens at once, not only when they expire.
 *
 * The jot_refresh cookie is scoped to Path=/token, so a browser sends it to
 * /token and /token/logout but not to /logout: a browser logs out with its
 * Bearer access token at /logout, or with the cookie at /token/logout.
 *
 * /revoke also takes an API token, presented by whoever holds it (RFC 7009
 * 2.1: the token is its own proof; an API token's holder may end it).
 */
#include <string.h>

#include "endpoints/endpoints.h"

/* The family of a refresh token, if it is one of ours and still known:
 * signature, then the stored hash. 0 found, -1 not, -2 the store failed. */
static int refresh_family(jotd_app *a, const jotd_keysnap *ks, const char *token, char *sid, size_t n)
{
    size_t len = strlen(token);
    jot_claims *c = NULL;
    if (jot_verify(ks->refresh, token, len, &c, NULL) != JOT_OK)
        return -1;
    const char *jti = NULL, *fam = NULL;
    int found = -1;
    if (jot_claims_string(c, "jti", &jti, NULL) == JOT_OK && jot_claims_string(c, "sid", &fam, NULL) == JOT_OK) {
        jotd_refresh_info info;
        jotd_store_rc rc = jotd_store_refresh_get(a->store, fam, jti, &info);
        if (rc == JOTD_STORE_ERROR)
            found = -2;
        if (rc == JOTD_STORE_OK) {
            uint8_t hash[32];
            jotd_sha256(token, len, hash);
            if (jot_equal(hash, info.hash, sizeof hash)) {
                snprintf(sid, n, "%s", info.family_id);
                found = 0;
            }
        }
        jotd_refresh_info_release(&info);
    }
    jot_claims_free(c);
    return found;
}

/* The family (sid) of a valid access token. A token of an already revoked
 * family is reported as not found: there is nothing left to revoke. */
static int access_family(const jotd_keysnap *ks, const char *token, size_t len, char *sid, size_t n)
{
    jot_claims *c = NULL;
    if (jot_verify(ks->access, token, len, &c, NULL) != JOT_OK)
        return -1;
    const char *s = NULL;
    int rc = -1;
    if (jot_claims_string(c, "sid", &s, NULL) == JOT_OK) {
        snprintf(sid, n, "%s", s);
        rc = 0;
    }
    jot_claims_free(c);
    return rc;
}

void jotd_h_logout(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    size_t blen = 0;
    const char *bearer = jotd_bearer(r, &blen);
    jotd_pkind tk = jotd_req_param_kind(r, "refresh_token");
    const char *refresh = jotd_req_param(r, "refresh_token");
    if (tk != JOTD_P_ABSENT && !refresh) {
        jotd_resp_error(r, 400, "invalid_request", "refresh_token must be a string");
        return;
    }
    /* A logout through the cookie needs X-Requested-With, as a refresh
     * does: a cross-site form cannot send it, so it cannot log a user out
     * (SameSite=Strict alone leaves same-site pages, other ports and
     * browsers without SameSite). A Bearer token cannot be forged by a
     * form either: with one, the cookie is simply not used. */
    int cookie = 0;
    if (!refresh && !(bearer && !jotd_req_header(r, "X-Requested-With"))) {
        refresh = jotd_req_cookie(r, JOTD_COOKIE);
        cookie = refresh != NULL;
    }
    if (cookie && !jotd_req_header(r, "X-Requested-With")) {
        jotd_resp_error(r, 400, "invalid_request", "a logout through the cookie needs the X-Requested-With header");
        return;
    }
    if (!bearer && (!refresh || !*refresh)) {
        jotd_resp_error(r, 400, "invalid_request", "give a Bearer access token, refresh_token, or the jot_refresh cookie");
        return;
    }
    char sid[64];
    int64_t now = jotd_now();
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    int failed = 0, found = refresh && *refresh ? refresh_family(a, ks, refresh, sid, sizeof sid) : -1;
    if (found == 0)
        failed |= jotd_revoke_family(&a->rev, sid, "logout", now) == JOTD_STORE_ERROR;
    failed |= found == -2;
    if (bearer && access_family(ks, bearer, blen, sid, sizeof sid) == 0)
        failed |= jotd_revoke_family(&a->rev, sid, "logout", now) == JOTD_STORE_ERROR;
    jotd_keysnap_release(ks);
    /* A revocation the store did not record would come back when the
     * in-memory set forgets it: the client must try again (the cookie is
     * kept, so that it can). */
    if (failed) {
        jotd_store_failed(r);
        return;
    }
    /* Logging out is idempotent: a token that is already invalid leaves
     * nothing to revoke, and the answer is the same. */
    jotd_clear_cookie(r);
    jotd_req_note(r, "logout");
    jotd_resp_body(r, 204, NULL, NULL, 0);
}

void jotd_h_revoke(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    const char *token = jotd_req_param(r, "token");
    if (!token) {
        jotd_resp_error(r, 400, "invalid_request", "the token parameter is required (RFC 7009 2.1)");
        return;
    }
    const char *hint = jotd_req_param(r, "token_type_hint");
    char sid[64];
    int64_t now = jotd_now();
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    /* RFC 7009 2.1: the hint only says where to look first. Revoking an
     * access token revokes its whole grant (the family), as 2.1 allows. */
    int access_first = hint && strcmp(hint, "access_token") == 0;
    size_t len = strlen(token);
    int found = -1;
    if (access_first)
        found = access_family(ks, token, len, sid, sizeof sid);
    if (found != 0)
        found = refresh_family(a, ks, token, sid, sizeof sid);
    if (found == -1 && !access_first)
        found = access_family(ks, token, len, sid, sizeof sid);
    jotd_store_rc rc = JOTD_STORE_NOT_FOUND;
    if (found == 0) {
        rc = jotd_revoke_family(&a->rev, sid, "revoke", now);
    } else if (found == -1) {
        /* An API token (typ api+jwt): its holder ends it. */
        jot_claims *c = NULL;
        const char *sub, *jti;
        if (jot_verify(ks->api, token, len, &c, NULL) == JOT_OK && jot_claims_string(c, "sub", &sub, NULL) == JOT_OK &&
            jot_claims_string(c, "jti", &jti, NULL) == JOT_OK)
            rc = jotd_revoke_api_token(&a->rev, sub, jti, now);
        jot_claims_free(c);
    }
    jotd_keysnap_release(ks);
    /* RFC 7009 2.2.1: 503 when the token could not be revoked now; the
     * client then assumes it is still valid and tries again. */
    if (found == -2 || rc == JOTD_STORE_ERROR) {
        jotd_store_failed(r);
        return;
    }
    if (rc == JOTD_STORE_OK)
        jotd_req_note(r, "revoked");
    /* RFC 7009 2.2: 200 whether or not the token was valid, so that the
     * answer tells nothing about it. */
    jotd_resp_body(r, 200, NULL, NULL, 0);
}
