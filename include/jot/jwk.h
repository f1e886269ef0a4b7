/*
 * jot/jwk.h - algorithms and keys: PEM, JWK (RFC 7517), JWKS, RFC 7638
 * thumbprints, key generation.
 *
 * A jot_key is an opaque, immutable-after-setup object parsed once into a
 * ready crypto object. It knows its type and curve and refuses an algorithm
 * that does not fit it. Keys are reference counted internally, so a key set
 * or a verifier can share them; jot_key_free drops the caller's reference and
 * wipes secret material when the last one goes.
 */
#ifndef JOT_JWK_H
#define JOT_JWK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The JWA signature algorithms (RFC 7518 3.1, RFC 8037 3.1). The zero value
 * means "not set"; there is no value for "none". */
typedef enum jot_alg {
    JOT_ALG_UNSET = 0,
    JOT_HS256 = 1,
    JOT_HS384 = 2,
    JOT_HS512 = 3,
    JOT_RS256 = 4,
    JOT_RS384 = 5,
    JOT_RS512 = 6,
    JOT_PS256 = 7,
    JOT_PS384 = 8,
    JOT_PS512 = 9,
    JOT_ES256 = 10,
    JOT_ES384 = 11,
    JOT_ES512 = 12,
    JOT_EDDSA = 13,
} jot_alg;

#define JOT_ALG_MAX 13
/* A set of algorithms is a bit mask of JOT_ALG_BIT(alg). */
#define JOT_ALG_BIT(a) (1u << (unsigned)(a))
#define JOT_ALG_ALL 0x3ffeu

/* "HS256" for JOT_HS256, ...; NULL for JOT_ALG_UNSET or out of range. */
const char *jot_alg_name(jot_alg alg);
/* The algorithm named by the first len bytes of name (exact, case-sensitive,
 * RFC 7515 4.1.1), or JOT_ALG_UNSET. "none" gives JOT_ALG_UNSET. */
jot_alg jot_alg_from_name(const char *name, size_t len);

typedef enum jot_kty {
    JOT_KTY_OCT = 1, /* HMAC secret */
    JOT_KTY_RSA = 2,
    JOT_KTY_EC = 3,  /* P-256, P-384, P-521 */
    JOT_KTY_OKP = 4, /* Ed25519, Ed448 */
} jot_kty;

typedef struct jot_key jot_key;
typedef struct jot_keyset jot_keyset;

/* Parse a PEM key: SPKI public key, PKCS#8 / PKCS#1 / SEC1 private key, or
 * an X.509 certificate (its public key). Encrypted PEM is refused.
 * On JOT_OK *out is a new key the caller frees with jot_key_free.
 * Errors: JOT_E_ARG, JOT_E_KEY (unparsable or not a signature key),
 * JOT_E_WEAK_KEY (RSA under 2048 bits), JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_key_from_pem(const char *pem, size_t len, jot_key **out);

/* Parse one JWK (RFC 7517 4, RFC 7518 6, RFC 8037 2): kty oct, RSA, EC
 * (P-256/384/521), OKP (Ed25519/Ed448), public or private. Its "kid", "alg"
 * and "use" are kept: an "alg" narrows the key to that algorithm, a "use"
 * other than "sig" or "key_ops" without "verify"/"sign" makes it unfit for
 * signatures. Members are checked strictly (base64url, exact lengths, points
 * on the curve, a private part consistent with the public one).
 * On JOT_OK *out is a new key (caller frees). Errors: JOT_E_ARG, JOT_E_KEY,
 * JOT_E_WEAK_KEY, JOT_E_UNSUPPORTED (e.g. kty "RSA" with "oth"), JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_key_from_jwk(const char *json, size_t len, jot_key **out);

/* An HMAC key (kty oct) from raw bytes, all of them. Keys shorter than 32
 * bytes fit no algorithm and give JOT_E_WEAK_KEY. Caller frees *out. */
JOT_NODISCARD jot_status jot_key_from_secret(const void *bytes, size_t len, jot_key **out);

/* A new random private key fit for alg: HS*: hash-size random bytes; RS*,
 * PS*: RSA of `bits` bits (0 means 2048; under 2048 is JOT_E_WEAK_KEY);
 * ES256/384/512: P-256/384/521; EdDSA: Ed25519 (bits 448 gives Ed448).
 * The key remembers alg. Caller frees *out. */
JOT_NODISCARD jot_status jot_key_generate(jot_alg alg, unsigned bits, jot_key **out);

/* Drop the caller's reference; secrets are wiped when the last reference
 * goes. NULL is ok. */
void jot_key_free(jot_key *key);

jot_kty jot_key_type(const jot_key *key);
/* "P-256", "P-384", "P-521", "Ed25519", "Ed448", or NULL (oct, RSA). */
const char *jot_key_curve(const jot_key *key);
/* Size in bits: RSA modulus, curve order, or HMAC secret length * 8. */
unsigned jot_key_bits(const jot_key *key);
/* 1 when the key holds private material (HMAC secrets always do). */
int jot_key_is_private(const jot_key *key);
/* The key's "kid", or NULL. Valid as long as the key. */
const char *jot_key_kid(const jot_key *key);
/* The algorithm the key is bound to (a JWK's "alg"), or JOT_ALG_UNSET. */
jot_alg jot_key_alg(const jot_key *key);

/* Set or clear (NULL) the kid; set or clear (JOT_ALG_UNSET) the bound
 * algorithm. Only before the key is shared (added to a key set or verifier).
 * Errors: JOT_E_ARG, JOT_E_KEY_MISMATCH (alg does not fit), JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_key_set_kid(jot_key *key, const char *kid);
JOT_NODISCARD jot_status jot_key_set_alg(jot_key *key, jot_alg alg);

/* Whether the key can serve alg: JOT_OK, JOT_E_KEY_MISMATCH (other type or
 * curve, "use" not sig, or bound to another alg), or JOT_E_WEAK_KEY (HMAC
 * key shorter than the hash output, RFC 7518 3.2). */
jot_status jot_key_fits(const jot_key *key, jot_alg alg);

/* The set of algorithms the key can serve (JOT_ALG_BIT mask). */
unsigned jot_key_algs(const jot_key *key);

#define JOT_JWK_PUBLIC 0u  /* only the public members */
#define JOT_JWK_PRIVATE 1u /* the whole key, private members included */

/* The key as a one-line JWK JSON text, with its kid and alg if set. An HMAC
 * key has no public half: with JOT_JWK_PUBLIC it gives JOT_E_KEY.
 * Caller frees *out with jot_free. */
JOT_NODISCARD jot_status jot_key_to_jwk(const jot_key *key, unsigned flags, char **out);

/* The key as PEM: SPKI for JOT_JWK_PUBLIC, PKCS#8 for JOT_JWK_PRIVATE.
 * HMAC keys have no PEM form (JOT_E_UNSUPPORTED). Caller frees with jot_free. */
JOT_NODISCARD jot_status jot_key_to_pem(const jot_key *key, unsigned flags, char **out);

/* The RFC 7638 SHA-256 thumbprint, base64url without padding (43 chars and
 * a NUL) into out. */
JOT_NODISCARD jot_status jot_key_thumbprint(const jot_key *key, char out[44]);

/* Key sets (JWKS, RFC 7517 5). */

/* A new empty set. Caller frees with jot_keyset_free. */
JOT_NODISCARD jot_status jot_keyset_new(jot_keyset **out);

/* Parse a JWKS {"keys":[...]}. Keys whose kty or crv libjot does not know,
 * or that are not signature keys ("use":"enc"), are skipped as RFC 7517 5
 * asks; a key that is malformed makes the whole set fail (JOT_E_KEY).
 * A set with no usable key is JOT_E_KEY. Caller frees *out. */
JOT_NODISCARD jot_status jot_keyset_from_jwks(const char *json, size_t len, jot_keyset **out);

/* Whatever a key file holds: a JWKS, a single JWK, or a PEM key; the result
 * is a set of one or more keys. Caller frees *out. */
JOT_NODISCARD jot_status jot_keyset_load(const char *data, size_t len, jot_keyset **out);

/* Add a reference to key to the set (the caller keeps its own reference and
 * still frees it). Errors: JOT_E_ARG, JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_keyset_add(jot_keyset *set, const jot_key *key);

size_t jot_keyset_count(const jot_keyset *set);
/* The i-th key, borrowed (valid as long as the set), or NULL. */
const jot_key *jot_keyset_get(const jot_keyset *set, size_t i);
/* The first key whose kid equals kid, borrowed, or NULL. */
const jot_key *jot_keyset_find(const jot_keyset *set, const char *kid);

/* The set as a one-line JWKS, each key as jot_key_to_jwk would give it;
 * with JOT_JWK_PUBLIC, HMAC keys are left out. Caller frees with jot_free. */
JOT_NODISCARD jot_status jot_keyset_to_jwks(const jot_keyset *set, unsigned flags, char **out);

void jot_keyset_free(jot_keyset *set);

#ifdef __cplusplus
}
#endif
#endif
