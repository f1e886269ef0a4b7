/*
 * jot/error.h - the one error model of libjot.
 *
 * Every function that can fail returns a jot_status. JOT_OK is zero; every
 * other value is stable forever and never reused. Verification failures have
 * codes of their own (JOT_E_MALFORMED .. JOT_E_REVOKED); jot_status_code()
 * spells them the way the `jot` command prints them ("bad-signature", ...).
 *
 * Detail goes into an optional caller-allocated jot_diag: the first error
 * recorded wins, nothing is allocated, and no secret is ever written there.
 */
#ifndef JOT_ERROR_H
#define JOT_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define JOT_NODISCARD __attribute__((warn_unused_result))
#else
#define JOT_NODISCARD
#endif

typedef enum jot_status {
    JOT_OK = 0,

    /* Failures of the caller or of the machine. */
    JOT_E_NOMEM = 1,         /* memory allocation failed */
    JOT_E_ARG = 2,           /* a bad argument: NULL, out of range, bad option */
    JOT_E_KEY = 3,           /* a key could not be parsed or is unusable */
    JOT_E_WEAK_KEY = 4,      /* RSA under 2048 bits, HMAC key shorter than the hash */
    JOT_E_KEY_MISMATCH = 5,  /* the key does not fit the algorithm */
    JOT_E_CRYPTO = 6,        /* the crypto library failed unexpectedly */
    JOT_E_NOT_FOUND = 7,     /* a claim, header member or key is absent */
    JOT_E_TYPE = 8,          /* a claim or member has another JSON type */
    JOT_E_UNSUPPORTED = 9,   /* valid input that libjot does not implement */

    /* Verification failures, in the order they are checked. */
    JOT_E_TOO_LARGE = 20,        /* longer than the policy's max_size */
    JOT_E_MALFORMED = 21,        /* structure, base64url, JSON, claim types */
    JOT_E_ALG_NOT_ALLOWED = 22,  /* alg missing, none, unknown or not allowed */
    JOT_E_CRIT_UNSUPPORTED = 23, /* crit names something not understood */
    JOT_E_NO_KEY = 24,           /* no key serves the token's kid and alg */
    JOT_E_BAD_SIGNATURE = 25,    /* the signature does not verify */
    JOT_E_EXPIRED = 26,          /* now >= exp + leeway */
    JOT_E_NOT_YET_VALID = 27,    /* now < nbf - leeway */
    JOT_E_ISSUED_IN_FUTURE = 28, /* now < iat - leeway */
    JOT_E_BAD_ISSUER = 29,
    JOT_E_BAD_AUDIENCE = 30,
    JOT_E_BAD_SUBJECT = 31,
    JOT_E_BAD_TYPE = 32,
    JOT_E_MISSING_CLAIM = 33,
    JOT_E_REVOKED = 34,          /* the policy's check hook refused the token */
} jot_status;

/* A human sentence for a status. Never NULL; static storage. */
const char *jot_strerror(jot_status s);

/* A short, stable code for a status: the contract's spelling for the
 * verification failures ("bad-signature", "expired", ...), and likewise
 * "no-memory", "bad-argument", "bad-key", "weak-key", "key-mismatch",
 * "crypto-failure", "not-found", "wrong-type", "unsupported" for the rest;
 * "ok" for JOT_OK, "error" for a value that is no status. Static. */
const char *jot_status_code(jot_status s);

/* Optional detail of a failure, owned by the caller (usually on the stack).
 * Functions that take a jot_diag * accept NULL. The first failure recorded
 * wins: later ones do not overwrite it. Call jot_diag_init before use. */
typedef struct jot_diag {
    jot_status status;
    char text[200];
} jot_diag;

void jot_diag_init(jot_diag *d);

/* Frees a NUL-terminated string that libjot allocated and handed to the
 * caller (JSON texts, tokens, key exports). Its bytes are wiped first, since
 * it may hold a private key. NULL is ok. */
void jot_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
