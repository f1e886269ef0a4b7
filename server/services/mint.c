/*
 * server/services/mint.c - minting jotd's tokens (see mint.h).
 *
 * Access tokens follow RFC 9068: header typ "at+jwt" (2.1) and kid; claims
 * iss, exp, aud, sub, client_id, iat, jti (2.2), plus sid (the refresh
 * family: the login), and the user's role and name. Refresh tokens are JWTs
 * of typ "refresh+jwt" whose audience is jotd itself, so neither kind can be
 * taken for the other (RFC 8725 3.11, 3.12); jotd alone reads them, so they
 * carry a MAC (HS256 under a key derived from the master key, keyring.h)
 * rather than a signature.
 */
#include <stdio.h>
#include <string.h>

#include "services/mint.h"

#include "base/log.h"
#include "services/seal.h"

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

char *jotd_mint_access(const jotd_config *cfg, const jotd_keysnap *ks, const jotd_user *u, const char *sid,
                       int64_t now, int64_t session_end, int64_t *exp)
{
    char jti[23];
    jotd_random_id(jti);
    /* No access token outlives its login (session-max). */
    *exp = now + cfg->access_ttl < session_end ? now + cfg->access_ttl : session_end;
    const char *more[] = {"client_id", cfg->client_id, "sid", sid, "role", u->role, "name", u->username, NULL};
    jotd_mint_spec m = {.typ = "at+jwt", .kid = ks->kid, .key = ks->signer, .alg = ks->alg,
                        .iss = cfg->issuer, .sub = u->id, .aud = cfg->audience, .jti = jti,
                        .iat = now, .exp = *exp, .more = more};
    return jotd_mint(&m);
}

char *jotd_mint_refresh(const jotd_config *cfg, const jotd_keysnap *ks, const char *sub, const char *sid,
                        const char *jti, int64_t now, int64_t exp)
{
    const char *more[] = {"sid", sid, NULL};
    /* jotd is the audience: only jotd reads refresh tokens. */
    jotd_mint_spec m = {.typ = "refresh+jwt", .kid = ks->refresh_kid, .key = ks->refresh_signer, .alg = JOT_HS256,
                        .iss = cfg->issuer, .sub = sub, .aud = cfg->issuer, .jti = jti,
                        .iat = now, .exp = exp, .more = more};
    return jotd_mint(&m);
}
