/*
 * server/endpoints/endpoints.h - what every endpoint sees: the app's state
 * (struct jotd_app, built by app.c), the helpers that several endpoints
 * answer with (endpoints/common.c), and the handlers (one file per route
 * group; endpoints/routes.c registers them).
 *
 * Endpoints are thin: they read the request, call the services
 * (services/) and the store, and answer. Services never include this
 * header.
 */
#ifndef JOTD_ENDPOINTS_H
#define JOTD_ENDPOINTS_H

#include <stdint.h>

#include <jot/jot.h>

#include "app.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "config.h"
#include "http/http.h"
#include "services/keyring.h"
#include "services/metrics.h"
#include "services/mint.h"
#include "services/passwords.h"
#include "services/pool.h"
#include "services/revoke.h"
#include "services/seal.h"
#include "services/throttle.h"
#include "services/usage.h"
#include "services/users.h"
#include "store/store.h"

#define JOTD_COOKIE "jot_refresh"
#define JOTD_COOKIE_PATH "/token"

struct jotd_app {
    const jotd_config *cfg;
    jotd_store *store;
    uint8_t master[JOTD_MASTER_KEY_LEN];
    jotd_keyring *keys;
    jotd_revocations rev;  /* revoked logins and API tokens */
    jotd_usage usage;      /* API tokens' last uses */
    jotd_pool *pool;       /* password hashing */
    jotd_throttle *throttle;
    jotd_metrics metrics;
    char *dummy_hash;      /* verified against for unknown users */
    int64_t last_purge;
    char **verify_claims;  /* claim names for X-Jot-* headers */
    size_t nverify_claims;
    char **proxies;        /* trusted-proxies */
    size_t nproxies;
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

/* ---- common.c: answering ------------------------------------------------ */

/* Answer 200 with the token response (RFC 6749 5.1): the access token
 * (expiring at access_exp), and the refresh token in the body or in the
 * jot_refresh cookie (refresh NULL: neither). */
void jotd_token_response(jotd_req *r, const char *access, int64_t access_exp, const char *refresh,
                         int64_t refresh_exp, int in_body, int64_t now);
/* Set-Cookie that removes jot_refresh. */
void jotd_clear_cookie(jotd_req *r);
/* 503 temporarily_unavailable with Retry-After: the store did not answer. */
void jotd_store_failed(jotd_req *r);

/* ---- common.c: who is asking -------------------------------------------- */

/* The Bearer token of the Authorization header (RFC 6750 2.1), or NULL. */
const char *jotd_bearer(const jotd_req *r, size_t *len);
/* The client's address into buf (64 bytes): the peer's, or, when the peer
 * is a trusted proxy, the rightmost X-Forwarded-For entry that is not a
 * trusted proxy itself (entries left of it are the client's to forge). */
const char *jotd_client_addr(const jotd_app *a, const jotd_req *r, char *buf, size_t n);

/* Verify a Bearer token as an access token, or, when it is of another typ,
 * as an API token. *is_api tells which verified. */
jot_status jotd_verify_bearer(const jotd_keysnap *ks, const char *token, size_t len, jot_claims **out,
                              int *is_api);

/* Who calls an account endpoint: the user and login of a valid access
 * token (from a login: API tokens and refresh tokens do not manage the
 * account). */
typedef struct jotd_caller {
    char sub[48];
    char sid[64];
} jotd_caller;
/* 0 with *out filled, or -1 after answering 401. */
int jotd_caller_auth(jotd_app *a, jotd_req *r, jotd_caller *out);

/* ---- the handlers -------------------------------------------------------- */

void jotd_h_signup(jotd_req *r, void *ctx);              /* login.c */
void jotd_h_login(jotd_req *r, void *ctx);               /* login.c */
void jotd_h_token(jotd_req *r, void *ctx);               /* token.c */
void jotd_h_logout(jotd_req *r, void *ctx);              /* logout.c */
void jotd_h_revoke(jotd_req *r, void *ctx);              /* logout.c */
void jotd_h_verify(jotd_req *r, void *ctx);              /* verify.c */
void jotd_h_jwks(jotd_req *r, void *ctx);                /* health.c */
void jotd_h_healthz(jotd_req *r, void *ctx);             /* health.c */
void jotd_h_metrics(jotd_req *r, void *ctx);             /* health.c */
void jotd_h_api_create(jotd_req *r, void *ctx);          /* api_tokens.c */
void jotd_h_api_list(jotd_req *r, void *ctx);            /* api_tokens.c */
void jotd_h_api_delete(jotd_req *r, void *ctx);          /* api_tokens.c */
void jotd_h_sessions_list(jotd_req *r, void *ctx);       /* sessions.c */
void jotd_h_session_delete(jotd_req *r, void *ctx);      /* sessions.c */
void jotd_h_sessions_revoke_others(jotd_req *r, void *ctx); /* sessions.c */
void jotd_h_introspect(jotd_req *r, void *ctx);          /* introspect.c */

/* ---- routes.c ------------------------------------------------------------ */

typedef struct jotd_route_def {
    const char *method;
    const char *path;
    unsigned bodies;
    jotd_handler fn;
} jotd_route_def;

/* Every endpoint, in one table (the metrics name routes in this order). */
extern const jotd_route_def jotd_routes[];
extern const size_t jotd_nroutes;

#endif
