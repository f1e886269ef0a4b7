/*
 * server/auth/internal.h - shared by the files of server/auth only.
 */
#ifndef JOTD_AUTH_INTERNAL_H
#define JOTD_AUTH_INTERNAL_H

#include <pthread.h>
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
#include "base/mem.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"

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
    pthread_mutex_t poll_lock; /* the revocation log's reader: */
    int64_t revocations_cursor; /* the newest number read */
    int64_t last_purge;
    char **verify_claims; /* claim names for X-Jot-* headers */
    size_t nverify_claims;
    char **proxies;       /* trusted-proxies */
    size_t nproxies;
    jotd_revoked *revoked_api; /* revoked API tokens' jtis, until their exp */
    jotd_revoked *api_used;    /* API tokens /verify saw since the last flush */
    int64_t last_api_flush;
    uint8_t introspect_auth[32]; /* SHA-256 of "client-id:secret", when configured */
};

/* The "sid" under which /verify's cache keeps an API token: this prefix
 * and its jti (a family's sid never holds a ':'). */
#define JOTD_API_CACHE_PREFIX "api:"
/* API tokens: default and longest lifetime, most live ones per user, and
 * most rows per user (a revoked token's row stays until the token expires,
 * so that every instance keeps refusing it: without this bound a loop of
 * create and revoke would grow a user's rows for a year). */
#define JOTD_API_TTL_DEFAULT (90 * 24 * 3600)
#define JOTD_API_TTL_MAX (365 * 24 * 3600)
#define JOTD_API_PER_USER 100
#define JOTD_API_ROWS_PER_USER 1000

/* ---- passwords.c ---- */
/* An argon2id encoded hash with the configured parameters, or NULL. */
char *jotd_password_hash(const jotd_config *cfg, const char *pw, size_t len);
/* 1 when pw matches encoded. */
int jotd_password_verify(const char *encoded, const char *pw, size_t len);
/* 1 when encoded was made with other parameters than the configured ones. */
int jotd_password_needs_rehash(const jotd_config *cfg, const char *encoded);
/* NULL when the new password pw (NUL-terminated) of username is strong
 * enough (password-min-bits); otherwise why not, as a sentence written to
 * why (n bytes), which is returned. */
const char *jotd_password_weakness(const jotd_config *cfg, const char *pw, const char *username, char *why,
                                   size_t n);

/* How far a family's recorded last use and newest-token expiry may lag
 * behind (token.c), in seconds: a tenth of refresh-ttl, at most an hour. */
int64_t jotd_touch_slack(const jotd_config *cfg);

/* ---- tokens.c ---- */
/* A token of jotd's: header typ and kid; claims iss, sub, aud, exp, iat,
 * jti, then the string claims in more (name, value pairs ending with a
 * NULL name; a NULL value is left out), in that order. */
typedef struct jotd_mint_spec {
    const char *typ, *kid;
    const jot_key *key;
    jot_alg alg;
    const char *iss, *sub, *aud, *jti;
    int64_t iat, exp;
    const char *const *more;
} jotd_mint_spec;
/* The token signed; caller frees with jot_free. NULL on failure (logged). */
char *jotd_mint(const jotd_mint_spec *m);
/* RFC 9068 access token for user u in family sid, expiring access-ttl
 * from now but not after session_end (the login's absolute end), which
 * goes to *exp; caller frees with jot_free. NULL on failure (logged). */
char *jotd_mint_access(const jotd_auth *a, const jotd_keysnap *ks, const jotd_user *u, const char *sid,
                       int64_t now, int64_t session_end, int64_t *exp);
/* A refresh token (typ refresh+jwt); caller frees with jot_free. */
char *jotd_mint_refresh(const jotd_auth *a, const jotd_keysnap *ks, const char *sub, const char *sid,
                        const char *jti, int64_t now, int64_t exp);
/* Answer 200 with the token response (RFC 6749 5.1): the access token
 * (expiring at access_exp), and the refresh token in the body or in the
 * jot_refresh cookie (refresh NULL: neither). */
void jotd_token_response(jotd_req *r, const char *access, int64_t access_exp, const char *refresh,
                         int64_t refresh_exp, int in_body, int64_t now);
/* Set-Cookie that removes jot_refresh. */
void jotd_clear_cookie(jotd_req *r);
/* The Bearer token of the Authorization header (RFC 6750 2.1), or NULL. */
const char *jotd_bearer(const jotd_req *r, size_t *len);
/* Revoke a family: the store, then the in-memory set. */
jotd_store_rc jotd_revoke_family(jotd_auth *a, const char *sid, const char *reason, int64_t now);
/* Whether id looks like one jotd makes (sid, jti: 1 to 47 base64url
 * characters); anything else is unknown without asking the store. */
int jotd_id_valid(const char *id);
/* 503 temporarily_unavailable with Retry-After: the store did not answer. */
void jotd_store_failed(jotd_req *r);
/* The access verifier's check hook: refuses revoked sids. */
jot_status jotd_check_revoked(const jot_claims *claims, void *ctx);

/* ---- auth.c ---- */
/* Read the revocation log from where the last read stopped into the
 * in-memory sets (any thread; one reader at a time). -1 when the store
 * fails. */
int jotd_poll_revocations(jotd_auth *a);

/* ---- apitokens.c ---- */
/* The API verifier's check hook: refuses revoked jtis. */
jot_status jotd_check_api_revoked(const jot_claims *claims, void *ctx);
/* Revoke the API token jti of user_id (the store, then the in-memory set):
 * as jotd_store_api_token_revoke. */
jotd_store_rc jotd_api_revoke(jotd_auth *a, const char *user_id, const char *jti, int64_t now);
/* Remember that /verify accepted the API token jti (for last_used_at). */
void jotd_api_note_use(jotd_auth *a, const char *jti, size_t len, int64_t now);
/* Periodic: last uses to the store, purge. */
void jotd_api_tick(jotd_auth *a, int64_t now);

/* Verify a Bearer token as an access token, or, when it is of another typ,
 * as an API token. *is_api tells which verified. */
jot_status jotd_verify_bearer(const jotd_keysnap *ks, const char *token, size_t len, jot_claims **out,
                              int *is_api);

/* ---- sessions.c ---- */
/* Who calls an account endpoint: the user and login of a valid access
 * token (from a login: API tokens and refresh tokens do not manage the
 * account). */
typedef struct jotd_caller {
    char sub[48];
    char sid[64];
} jotd_caller;
/* 0 with *out filled, or -1 after answering 401. */
int jotd_caller_auth(jotd_auth *a, jotd_req *r, jotd_caller *out);

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
void jotd_h_api_create(jotd_req *r, void *ctx);
void jotd_h_api_list(jotd_req *r, void *ctx);
void jotd_h_api_delete(jotd_req *r, void *ctx);
void jotd_h_sessions_list(jotd_req *r, void *ctx);
void jotd_h_session_delete(jotd_req *r, void *ctx);
void jotd_h_sessions_revoke_others(jotd_req *r, void *ctx);
void jotd_h_introspect(jotd_req *r, void *ctx);

/* The client's address into buf (64 bytes): the peer's, or, when the peer
 * is a trusted proxy, the rightmost X-Forwarded-For entry that is not a
 * trusted proxy itself (entries left of it are the client's to forge). */
const char *jotd_auth_client(const jotd_auth *a, const jotd_req *r, char *buf, size_t n);

#endif
