/*
 * server/auth/internal.h - shared by the files of server/auth only.
 */
#ifndef JOTD_AUTH_INTERNAL_H
#define JOTD_AUTH_INTERNAL_H

#include <stdint.h>

#include <jot/jot.h>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/keys.h"
#include "auth/metrics.h"
#include "auth/pool.h"
#include "auth/revoked.h"
#include "auth/throttle.h"
#include "config.h"
#include "http/http.h"
#include "store/store.h"
#include "util.h"

#define JOTD_COOKIE "jot_refresh"
#define JOTD_COOKIE_PATH "/token"

struct jotd_auth {
    const jotd_config *cfg;
    jotd_store *store;
    uint8_t master[JOTD_MASTER_KEY_LEN];
    jotd_keyring *keys;
    jotd_revoked *revoked;
    jotd_pool *pool;
    jotd_throttle *throttle;
    jotd_metrics metrics;
    char *dummy_hash;    /* verified against for unknown users */
    int64_t last_revoked_poll;
    int64_t last_purge;
    char **verify_claims; /* claim names for X-Jot-* headers */
    size_t nverify_claims;
};

/* ---- passwords.c ---- */
/* An argon2id encoded hash with the configured parameters, or NULL. */
char *jotd_password_hash(const jotd_config *cfg, const char *pw, size_t len);
/* 1 when pw matches encoded. */
int jotd_password_verify(const char *encoded, const char *pw, size_t len);
/* 1 when encoded was made with other parameters than the configured ones. */
int jotd_password_needs_rehash(const jotd_config *cfg, const char *encoded);

/* How far a family's recorded last use and newest-token expiry may lag
 * behind (token.c), in seconds: a tenth of refresh-ttl, at most an hour. */
int64_t jotd_touch_slack(const jotd_config *cfg);

/* ---- tokens.c ---- */
/* RFC 9068 access token for user u in family sid; caller frees with
 * jot_free. NULL on failure (logged). */
char *jotd_mint_access(const jotd_auth *a, const jotd_keysnap *ks, const jotd_user *u, const char *sid,
                       int64_t now);
/* A refresh token (typ refresh+jwt); caller frees with jot_free. */
char *jotd_mint_refresh(const jotd_auth *a, const jotd_keysnap *ks, const char *sub, const char *sid,
                        const char *jti, int64_t now, int64_t exp);
/* Answer 200 with the token response (RFC 6749 5.1): the access token, and
 * the refresh token in the body or in the jot_refresh cookie. */
void jotd_token_response(jotd_auth *a, jotd_req *r, const char *access, const char *refresh, int64_t refresh_exp,
                         int in_body, int64_t now);
/* Set-Cookie that removes jot_refresh. */
void jotd_clear_cookie(jotd_req *r);
/* The Bearer token of the Authorization header (RFC 6750 2.1), or NULL. */
const char *jotd_bearer(const jotd_req *r, size_t *len);
/* Revoke a family: the store, then the in-memory set. */
void jotd_revoke_family(jotd_auth *a, const char *sid, const char *reason, int64_t now);
/* The access verifier's check hook: refuses revoked sids. */
jot_status jotd_check_revoked(const jot_claims *claims, void *ctx);

/* ---- handlers ---- */
void jotd_h_signup(jotd_req *r, void *ctx);
void jotd_h_login(jotd_req *r, void *ctx);
void jotd_h_token(jotd_req *r, void *ctx);
void jotd_h_logout(jotd_req *r, void *ctx);
void jotd_h_revoke(jotd_req *r, void *ctx);
void jotd_h_verify(jotd_req *r, void *ctx);
void jotd_h_jwks(jotd_req *r, void *ctx);
void jotd_h_healthz(jotd_req *r, void *ctx);
void jotd_h_metrics(jotd_req *r, void *ctx);

#endif
