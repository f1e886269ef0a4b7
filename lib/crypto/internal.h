/*
 * lib/crypto's own shared declarations. Unlike crypto.h, this header names
 * OpenSSL types, so only the files of lib/crypto include it.
 */
#ifndef JOT_CRYPTO_INTERNAL_H
#define JOT_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"

/* The largest coordinate length of a supported curve (P-521) and the
 * largest hash output (SHA-512). */
#define JOT__CRV_MAX 66u
#define JOT__HASH_MAX 64u

/* The SHA-2 digest of alg's hash (jot__alg_hash_len), fetched once for
 * the whole process; NULL for EdDSA (which hashes internally), an unknown
 * value, or a provider that has none. */
const EVP_MD *jot__alg_md(jot_alg alg);
/* The order n of a NIST curve as big-endian bytes of exactly
 * jot__crv_len(crv) bytes, or NULL for another curve. */
const uint8_t *jot__ec_order(jot__crv crv);

/* Take ownership of pkey and describe k by it (kty, crv, bits, priv, pkey):
 * only RSA of 2048..16384 bits with an odd exponent > 1 (and no ROCA
 * fingerprint, JOT_E_WEAK_KEY), EC on
 * P-256/384/521, Ed25519 and Ed448 are accepted. With check set, a private
 * RSA key is checked for consistency and an EC key validated
 * (jot__rsa_check_private, jot__ec_check). On failure pkey is freed and k is
 * untouched. Errors: JOT_E_KEY, JOT_E_WEAK_KEY, JOT_E_NOMEM. */
jot_status jot__pkey_adopt(jot_key *k, EVP_PKEY *pkey, int check);
/* 1 when pkey holds its private half. */
int jot__pkey_is_private(const EVP_PKEY *pkey);
/* Check a private RSA key with the BIGNUM members it was built from (or
 * read from it): d in [1, n-1], the CRT members consistent when present, and
 * a round trip x^(d*e) = x mod n. JOT_OK or JOT_E_KEY. */
jot_status jot__rsa_check_private(const EVP_PKEY *pkey);
/* Public-key validation of an EC key (point on the curve, order n), and,
 * when it holds a private scalar, the scalar in [1, n-1] and matching the
 * point. JOT_OK or JOT_E_KEY. */
jot_status jot__ec_check(EVP_PKEY *pkey, int priv);

/*
 * A key's prepared state, kept in k->prep: everything that can be set up
 * once per key instead of once per operation. It is built before the key is
 * shared and only ever read afterwards (EVP_MD_CTX_copy_ex reads its source),
 * so any number of threads use it at once without a lock.
 */
struct jot__prep {
    /* oct keys (hmac.c): the SHA-2 states that have absorbed K' ^ ipad
     * and K' ^ opad (RFC 2104), opaque outside hmac.c. */
    void *hmac;
    /* RSA, EC and OKP keys (sig.c): per algorithm, a context initialised
     * for signing (private keys only) and one for verifying, or NULL when
     * it could not be made (the operation then initialises its own). */
    EVP_MD_CTX *sign[JOT_ALG_MAX + 1];
    EVP_MD_CTX *verify[JOT_ALG_MAX + 1];
};

/* Release a prepared state. NULL is ok. */
void jot__prep_free(struct jot__prep *p);
/* Release (and wipe) the HMAC part of a prepared state. NULL is ok. */
void jot__hmac_state_free(void *state);
/* Build k->prep for an asymmetric key (replacing any earlier one). The
 * templates are an optimisation: a failure to make one leaves it NULL.
 * Errors: JOT_E_NOMEM. */
jot_status jot__sig_prepare(jot_key *k);

/* The HMAC of msg under the oct key k with alg's hash (RFC 2104), from the
 * state that jot__hmac_prepare built. out has room for JOT__HASH_MAX bytes.
 * Errors: JOT_E_KEY (no prepared state), JOT_E_CRYPTO. */
jot_status jot__hmac_compute(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, uint8_t *out,
                             size_t *out_len);
/* Allocate a buffer of n bytes (at least one) with malloc, for jot__bytes
 * outputs that the caller releases with jot__bytes_clear. */
jot_status jot__bytes_alloc(jot__bytes *b, size_t n);

#endif
