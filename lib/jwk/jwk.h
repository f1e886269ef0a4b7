/* lib/jwk internals shared with lib/jws and lib/jwt. */
#ifndef JOT_JWK_INTERNAL_H
#define JOT_JWK_INTERNAL_H

#include "core/core.h"
#include "core/key.h"

/* The key type an algorithm needs, and its hash output length in bytes
 * (32/48/64; 0 for EdDSA). */
jot_kty jot__alg_kty(jot_alg alg);
size_t jot__alg_hash_len(jot_alg alg);
/* The curve an ECDSA algorithm needs, JOT__CRV_NONE for others. */
jot__crv jot__alg_crv(jot_alg alg);

/* A key from a parsed JWK object (kid, alg, use, key_ops included). */
jot_status jot__key_from_json(json_t *jwk, jot_key **out);
/* The key as a JWK object (new reference), or NULL with *status set. */
json_t *jot__key_to_json(const jot_key *key, unsigned flags, jot_status *status);

#endif
