/*
 * The inside of a jot_key, shared by lib/jwk, lib/jws, lib/jwt and
 * lib/crypto. The crypto object is an opaque pointer here: only lib/crypto
 * knows it is an OpenSSL EVP_PKEY.
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

#endif
