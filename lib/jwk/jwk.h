/* lib/jwk internals: keys to and from their JWK JSON objects. */
#ifndef JOT_JWK_INTERNAL_H
#define JOT_JWK_INTERNAL_H

#include "core/core.h"
#include "core/key.h"

/* The members of a JWK that hold private key material (RFC 7518 6.2.2.1,
 * 6.3.2, 6.4.1; RFC 8037 2), NULL-terminated: wiped before Jansson frees
 * them (jot__json_wipe_members). */
extern const char *const jot__jwk_private_members[];

/* A key from a parsed JWK object (kid, alg, use, key_ops included). */
jot_status jot__key_from_json(json_t *jwk, jot_key **out);
/* The key as a JWK object (new reference), or NULL with *status set. */
json_t *jot__key_to_json(const jot_key *key, unsigned flags, jot_status *status);

#endif
