/*
 * lib/crypto: the one place in libjot that includes OpenSSL. Everything the
 * rest of the library needs from cryptography goes through this interface,
 * which names no OpenSSL type.
 *
 * All functions return JOT_OK or a jot_status; they never abort.
 */
#ifndef JOT_CRYPTO_H
#define JOT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/key.h"

/* A byte string. As an input it is borrowed; as an output it is owned by the
 * caller and released with jot__bytes_clear (which wipes it). */
typedef struct jot__bytes {
    uint8_t *p;
    size_t n;
} jot__bytes;

void jot__bytes_clear(jot__bytes *b);

/* n bytes from the CSPRNG. */
jot_status jot__random(void *out, size_t n);
/* SHA-256 of data. */
jot_status jot__sha256(const void *data, size_t n, uint8_t out[32]);

/* Fill k (kty, crv, bits, priv, pkey) from a PEM text: SPKI, PKCS#8,
 * PKCS#1 (RSA PRIVATE KEY / RSA PUBLIC KEY), SEC1 (EC PRIVATE KEY), or an
 * X.509 CERTIFICATE. Only RSA, P-256/384/521 and Ed25519/Ed448 keys are
 * accepted (JOT_E_KEY otherwise); RSA under 2048 bits is JOT_E_WEAK_KEY. */
jot_status jot__pem_load(jot_key *k, const char *pem, size_t len);

/* RSA members in JWK order (RFC 7518 6.3): n, e, d, p, q, dp, dq, qi. */
enum { JOT__RSA_N, JOT__RSA_E, JOT__RSA_D, JOT__RSA_P, JOT__RSA_Q, JOT__RSA_DP, JOT__RSA_DQ, JOT__RSA_QI,
       JOT__RSA_COUNT };

/* Fill k from big-endian RSA members. n and e are required; d makes it a
 * private key; p..qi are either all present or all absent (n == 0). The key
 * is checked (public: modulus size and exponent; private: consistency).
 * Errors: JOT_E_KEY, JOT_E_WEAK_KEY (under 2048 bits), JOT_E_NOMEM. */
jot_status jot__rsa_from(jot_key *k, const jot__bytes m[JOT__RSA_COUNT]);
/* The members of an RSA key (private ones only when private is set and the
 * key has them; absent ones have n == 0). Caller clears each. */
jot_status jot__rsa_export(const jot_key *k, int private, jot__bytes m[JOT__RSA_COUNT]);

/* Fill k from an EC public point (x, y, each exactly jot__crv_len bytes)
 * and an optional private scalar d (same length, p NULL when absent). The
 * point must be on the curve, d in [1, n-1] and consistent with the point.
 * Errors: JOT_E_KEY, JOT_E_NOMEM. */
jot_status jot__ec_from(jot_key *k, jot__crv crv, jot__bytes x, jot__bytes y, jot__bytes d);
jot_status jot__ec_export(const jot_key *k, int private, jot__bytes *x, jot__bytes *y, jot__bytes *d);

/* Fill k from an Ed25519/Ed448 public key x and optional private key d
 * (RFC 8037 2); d must derive x. Errors: JOT_E_KEY, JOT_E_NOMEM. */
jot_status jot__okp_from(jot_key *k, jot__crv crv, jot__bytes x, jot__bytes d);
jot_status jot__okp_export(const jot_key *k, int private, jot__bytes *x, jot__bytes *d);

/* Fill k with a new key pair for alg (RS* and PS*: bits, 0 meaning 2048;
 * ES*: the curve of the alg; EdDSA: Ed25519, or Ed448 when bits == 448). */
jot_status jot__pkey_generate(jot_key *k, jot_alg alg, unsigned bits);

/* PEM text (SPKI, or PKCS#8 when private), NUL-terminated, malloc'ed. */
jot_status jot__pkey_to_pem(const jot_key *k, int private, char **out);

/* Prepare k->prep from k->secret (called once, when an oct key is made) and
 * release it. */
jot_status jot__hmac_prepare(jot_key *k);
/* Release k->pkey and k->prep. */
void jot__pkey_free(jot_key *k);

/* Sign msg (not NULL) with k under alg into sig (room for JOT_SIG_MAX
 * bytes), or verify sig, as jot_sig_sign and jot_sig_verify do (jot/jws.h),
 * for a key that the caller has found fit for alg (jot_key_fits): the check
 * runs once per key and operation, in the caller. */
jot_status jot__sig_sign(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, uint8_t *sig,
                         size_t *sig_len);
jot_status jot__sig_verify(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, const uint8_t *sig,
                           size_t sig_len);

/* Signature size of alg with k: the HMAC output, the RSA modulus bytes,
 * 2 * coordinate length for ECDSA, 64 / 114 for EdDSA. */
size_t jot__sig_len(const jot_key *k, jot_alg alg);

#endif
