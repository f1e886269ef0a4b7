/*
 * server/services/mint.h - jotd's tokens, signed with the current keys.
 *
 * Access tokens follow RFC 9068; refresh tokens (typ refresh+jwt) have
 * jotd itself as their audience and carry a MAC; API tokens (typ api+jwt)
 * are signed like access tokens. docs/jotd.md, TOKENS, lists every claim.
 */
#ifndef JOTD_SERVICES_MINT_H
#define JOTD_SERVICES_MINT_H

#include <stdint.h>

#include <jot/jot.h>

#include "config.h"
#include "services/keyring.h"
#include "store/store.h"

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
char *jotd_mint_access(const jotd_config *cfg, const jotd_keysnap *ks, const jotd_user *u, const char *sid,
                       int64_t now, int64_t session_end, int64_t *exp);
/* A refresh token (typ refresh+jwt); caller frees with jot_free. */
char *jotd_mint_refresh(const jotd_config *cfg, const jotd_keysnap *ks, const char *sub, const char *sid,
                        const char *jti, int64_t now, int64_t exp);

#endif
