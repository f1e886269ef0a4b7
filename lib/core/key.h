/*
 * The inside of a jot_key, shared by lib/jwk, lib/jws, lib/jwt and
 * lib/crypto, with what a key is judged by: the algorithm table (RFC 7518
 * 3.1, RFC 8037 3.1), the curves, and which key fits which algorithm. The
 * crypto object is an opaque pointer here: only lib/crypto knows it is an
 * OpenSSL EVP_PKEY.
 */
#ifndef JOT_CORE_KEY_H
#define JOT_CORE_KEY_H

#include <stdatomic.h>
#include <stdint.h>

#include <jot/jot.h>

/* Curves, for EC and OKP keys. */
typedef enum jot__crv {
    JOT__CRV_NONE = 0,
    JOT__CRV_P256 = 1,
    JOT__CRV_P384 = 2,
    JOT__CRV_P521 = 3,
    JOT__CRV_ED25519 = 4,
    JOT__CRV_ED448 = 5,
} jot__crv;

/* The RSA moduli libjot accepts, in bits (RFC 7518 3.3: 2048 at least).
 * The upper bound keeps every signature within JOT_SIG_MAX bytes. */
#define JOT__RSA_MIN_BITS 2048
#define JOT__RSA_MAX_BITS 16384

/* The key is unfit for signatures ("use":"enc", or key_ops without
 * sign/verify). */
#define JOT__KEY_NOSIG 1u

struct jot_key {
    atomic_int refs;
    jot_kty kty;
    jot__crv crv;
    unsigned bits;    /* RSA modulus bits, curve bits, or secret bytes * 8 */
    int priv;         /* holds private material */
    unsigned flags;   /* JOT__KEY_* */
    jot_alg alg;      /* bound algorithm, or JOT_ALG_UNSET */
    char *kid;        /* owned, or NULL */
    void *pkey;       /* EVP_PKEY * for RSA, EC, OKP; NULL for oct */
    void *prep;       /* lib/crypto's prepared state: HMAC states for oct keys, sign and verify contexts for RSA, EC, OKP; or NULL */
    uint8_t *secret;  /* oct: the HMAC key bytes (owned, wiped on free) */
    size_t secret_len;
};

/* A new key with one reference, everything else zero. NULL on no memory. */
jot_key *jot__key_alloc(void);
/* Take one more reference (for key sets and verifiers). */
jot_key *jot__key_ref(const jot_key *key);

/* The curve's name ("P-256", ...) or NULL, and its coordinate length in
 * bytes (32, 48, 66, 32, 57), 0 for none. */
const char *jot__crv_name(jot__crv crv);
size_t jot__crv_len(jot__crv crv);
jot__crv jot__crv_from_name(const char *name);

/* The key type an algorithm needs, its hash output length in bytes
 * (32/48/64; 0 for EdDSA, which hashes internally), and the curve an ECDSA
 * algorithm needs (JOT__CRV_NONE for the others). 0 for JOT_ALG_UNSET or
 * a value out of range. */
jot_kty jot__alg_kty(jot_alg alg);
size_t jot__alg_hash_len(jot_alg alg);
jot__crv jot__alg_crv(jot_alg alg);

/* Whether the key's type, curve and size can serve alg, whatever its
 * bound algorithm and usage (the part of jot_key_fits that does not change
 * once the key material is there): JOT_OK, JOT_E_KEY_MISMATCH or
 * JOT_E_WEAK_KEY. */
jot_status jot__key_type_fits(const jot_key *key, jot_alg alg);

#endif
