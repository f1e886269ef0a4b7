/*
 * server/services/keyring.h - the key manager: signing keys kept in the store,
 * sealed under the master key, and an in-memory snapshot of everything the
 * token paths need (the signing key, the JWKS text, two verifiers).
 *
 * Timeline of a key. `keys rotate` inserts a key whose activate_at lies
 * key-publish-delay ahead: until then it is "next", published in the JWKS but
 * not signing, so that resource servers caching the JWKS learn it before the
 * first token it signs. The key with the latest activate_at that has come
 * signs ("current"); the keys before it are "retired" from the moment their
 * successor activated. A retired key verifies access tokens until every
 * access token it signed has expired (retired + access-ttl), and stays
 * published, and in the API verifier, until its API tokens have expired
 * too (the latest expires_at of the unrevoked API tokens that name it,
 * which the store reads with the key), each plus a minute of slack for the
 * reload interval. A key kept for API tokens only verifies no access
 * token; revoking its last API tokens withdraws it. It keeps verifying
 * refresh tokens until those can have expired (retired + session-max);
 * then it is deleted. Keys that activate in the same second are ordered by
 * insertion, so that `keys rotate --now` always makes the key it adds the
 * signing one.
 *
 * Refresh tokens are read by jotd alone (their audience is jotd itself), so
 * they carry a MAC rather than a signature: HS256 under a key derived from
 * the master key and the signing key's kid (HMAC-SHA-256(master,
 * "jotd refresh+jwt v1 " || kid), kid "r-" || kid). It costs a microsecond
 * where an ES256 verification and signature cost a hundred and thirty, it
 * lives and dies with its signing key, and like the signing keys it cannot
 * be had from the store alone. Refresh tokens signed with a signing key
 * itself (jotd before this scheme) keep verifying while that key does.
 *
 * Snapshots are immutable and reference counted: a request takes one, uses
 * it without locks, and releases it; a reload builds a new one and swaps it
 * in atomically (libjot's verifiers are immutable and thread-safe).
 */
#ifndef JOTD_SERVICES_KEYRING_H
#define JOTD_SERVICES_KEYRING_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <jot/jot.h>

#include "services/seal.h"
#include "services/vcache.h"
#include "config.h"
#include "store/store.h"

/* Slack added to the key timeline for the time a running jotd takes to
 * notice a change in the store. */
#define JOTD_KEY_SLACK 60

typedef struct jotd_keysnap {
    atomic_int refs;
    jot_key *signer; /* private; signs access tokens */
    jot_alg alg;
    char kid[64];
    jot_key *refresh_signer; /* HS256, derived: signs refresh tokens */
    char refresh_kid[72];
    jot_keyset *published_keys; /* the JWKS's: the API verifier's */
    jot_keyset *access_keys;    /* the access verifier's (no key kept for API tokens only) */
    jot_keyset *refresh_keys;
    jot_verifier *access;  /* typ at+jwt, iss, aud; the revocation hook */
    jot_verifier *refresh; /* typ refresh+jwt, iss, aud = iss; HS256 (and, for older tokens, the signing keys) */
    jot_verifier *api;     /* typ api+jwt, iss, aud; the API token revocation hook */
    jotd_vcache *vcache;   /* access tokens verified with these keys; NULL: off */
    char *jwks;
    size_t jwks_len;
    size_t npublished;
    int64_t valid_until;  /* when the timeline next changes */
    uint64_t fingerprint; /* of the store's key rows */
} jotd_keysnap;

typedef struct jotd_keyring jotd_keyring;

typedef struct jotd_keyring_params {
    const jotd_config *cfg;
    jotd_store *store;
    const uint8_t *master; /* JOTD_MASTER_KEY_LEN bytes, kept by reference */
    /* The access verifier's check hook (revoked sids). */
    jot_status (*check)(const jot_claims *claims, void *ctx);
    void *check_ctx;
    /* The API token verifier's check hook (revoked jtis). */
    jot_status (*api_check)(const jot_claims *claims, void *ctx);
    void *api_check_ctx;
} jotd_keyring_params;

/* Load the keys (generating the first one when the store has none) and
 * build the first snapshot. -1 with a reason in err. */
int jotd_keyring_open(const jotd_keyring_params *p, jotd_keyring **out, char *err, size_t errlen);
void jotd_keyring_free(jotd_keyring *kr);

/* Rebuild the snapshot when the store's keys changed or the timeline moved
 * on; delete keys past their last use. Returns 1 when rebuilt, 0 when not
 * needed, -1 on error (the old snapshot stays). */
int jotd_keyring_reload(jotd_keyring *kr, int64_t now);

jotd_keysnap *jotd_keyring_acquire(jotd_keyring *kr);
void jotd_keysnap_release(jotd_keysnap *s);

/* Whether the store holds any key (so a master key must already exist). */
int jotd_keys_exist(jotd_store *store);

/* Generate a key for cfg->alg, seal it and insert it, active from
 * activate_at. Its kid (RFC 7638 thumbprint) goes to kid_out. */
int jotd_keys_generate(jotd_store *store, const jotd_config *cfg, const uint8_t *master, int64_t now,
                       int64_t activate_at, char kid_out[64], char *err, size_t errlen);

/* The kid of the key that signs at time at (by the store's keys now):
 * 0, or -1 when the store fails or no key has activated by then. */
int jotd_keys_signing_at(jotd_store *store, int64_t at, char kid[64]);

/* Print the keys and their state, one per line. */
int jotd_keys_print(jotd_store *store, const jotd_config *cfg, int64_t now, FILE *f);

#endif
