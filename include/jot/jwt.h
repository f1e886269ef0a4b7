/*
 * jot/jwt.h - JSON Web Tokens (RFC 7519): building and signing claims, and
 * a verifier object that checks tokens against a fixed policy.
 *
 * The verifier never lets the token choose its algorithm: the policy's
 * allowed set and the keys' types decide, and "none" does not exist here.
 * Checks run in this order, and the first failure is the answer: size,
 * structure, algorithm, crit, key, signature, then claims (so a token with a
 * bad signature is never reported as expired).
 */
#ifndef JOT_JWT_H
#define JOT_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jwk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Signing ---------------------------------------------------------- */

typedef struct jot_builder jot_builder;

/* A new builder with an empty claims set and the header {"typ":"JWT"}.
 * Caller frees with jot_builder_free. */
JOT_NODISCARD jot_status jot_builder_new(jot_builder **out);
void jot_builder_free(jot_builder *b);

/* Merge the members of a JSON object text into the claims (later setters
 * override). Values are kept as written: a number of any size or precision
 * is signed digit for digit. Errors: JOT_E_MALFORMED (not one JSON object,
 * duplicate members, too deep), JOT_E_TYPE (a registered claim of the wrong
 * type: iss/sub/jti strings, aud string or array of strings, exp/nbf/iat
 * numbers whose value fits int64 seconds, as the verifier requires),
 * JOT_E_ARG (a name or value over 16 MiB, or claims over 1 GiB), JOT_E_NOMEM.
 * Every claims set the verifier finds well-formed is accepted. */
JOT_NODISCARD jot_status jot_builder_claims_json(jot_builder *b, const char *json, size_t len);

/* Set one claim: a string, an integer, or any JSON value text. A NULL
 * string value removes the claim. Registered claims keep their types.
 * Errors: JOT_E_TYPE, JOT_E_MALFORMED (json not one JSON value), JOT_E_ARG
 * (a name or string that is not UTF-8, or over 16 MiB), JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_builder_set_string(jot_builder *b, const char *name, const char *value);
JOT_NODISCARD jot_status jot_builder_set_int(jot_builder *b, const char *name, int64_t value);
JOT_NODISCARD jot_status jot_builder_set_json(jot_builder *b, const char *name, const char *json, size_t len);

/* Set a header member ("typ", "kid", "cty", or another; "alg" is refused:
 * it comes from jot_builder_sign). A NULL value removes it (e.g. "typ"). */
JOT_NODISCARD jot_status jot_builder_header_string(jot_builder *b, const char *name, const char *value);
JOT_NODISCARD jot_status jot_builder_header_json(jot_builder *b, const char *name, const char *json, size_t len);

/* Sign the claims with key under alg (JOT_ALG_UNSET: the key's own alg).
 * The header is {"alg":..., "typ":..., "kid":...} with "kid" taken from the
 * key when not set. The builder can sign again. Caller frees *out with
 * jot_free. Errors: JOT_E_ARG (no alg), JOT_E_KEY (public key),
 * JOT_E_KEY_MISMATCH, JOT_E_WEAK_KEY, JOT_E_NOMEM, JOT_E_CRYPTO. */
JOT_NODISCARD jot_status jot_builder_sign(const jot_builder *b, const jot_key *key, jot_alg alg, char **out);

/* ---- Verifying -------------------------------------------------------- */

typedef struct jot_claims jot_claims;

/* The policy a verifier is built from. Zero-initialise it (or call
 * jot_verify_policy_init); a zero field never turns a check off:
 * exp, nbf and iat are checked whenever present, size is bounded by
 * default, and the allowed algorithms default to those the keys fit.
 * Strings are copied by jot_verifier_new; the policy may go afterwards. */
typedef struct jot_verify_policy {
    const jot_keyset *keys;  /* required; the verifier keeps references */
    unsigned algs;           /* JOT_ALG_BIT mask; 0: all that fit the keys */
    const char *issuer;      /* iss must equal it (and is then required) */
    const char *audience;    /* aud (string or array) must contain it */
    const char *subject;     /* sub must equal it */
    const char *typ;         /* header typ must match (RFC 7515 4.1.9) */
    const char *const *required; /* claims that must be present */
    size_t required_count;
    int64_t leeway;          /* seconds of clock skew for exp, nbf, iat */
    size_t max_size;         /* longest token in bytes; 0 means 65536 */
    /* Current time in seconds since the epoch; NULL means time(). Called
     * once per verification, from the verifying thread. */
    int64_t (*now)(void *ctx);
    void *now_ctx;
    /* Called only after the signature and every claim check passed (e.g. a
     * jti revocation or replay check); a non-OK return rejects the token
     * with that status (JOT_E_REVOKED is the usual one). May be called from
     * several threads at once. */
    jot_status (*check)(const jot_claims *claims, void *ctx);
    void *check_ctx;
    unsigned flags;          /* JOT_VERIFY_* */
    /* Revocation by token id (RFC 7519 4.1.7 "jti"): when set, a token
     * must carry a string jti (else JOT_E_MISSING_CLAIM) and is rejected
     * with JOT_E_REVOKED when revoked(jti, len, ctx) returns non-zero. jti
     * is the claim's value, NUL-terminated, valid during the call only.
     * Called after the signature and every claim check passed, before
     * check; may be called from several threads at once. */
    int (*revoked)(const char *jti, size_t len, void *ctx);
    void *revoked_ctx;
} jot_verify_policy;

/* The payload need not be a JSON claims set (plain JWS, RFC 7515); claims
 * are then not checked and only jot_claims_payload reads it. */
#define JOT_VERIFY_JWS_ONLY 1u

void jot_verify_policy_init(jot_verify_policy *p);

typedef struct jot_verifier jot_verifier;

/* Build a verifier. It is immutable afterwards: any number of threads may
 * call jot_verify on it at once, without locks. Errors: JOT_E_ARG (no keys,
 * bad field), JOT_E_WEAK_KEY (an allowed HMAC algorithm whose hash is longer
 * than every secret given), JOT_E_KEY_MISMATCH (algs is 0 and the keys fit
 * no algorithm at all), JOT_E_NOMEM. An allowed algorithm that no key fits
 * is accepted: its tokens are rejected with JOT_E_NO_KEY. Caller frees with
 * jot_verifier_free. */
JOT_NODISCARD jot_status jot_verifier_new(const jot_verify_policy *policy, jot_verifier **out);
void jot_verifier_free(jot_verifier *v);

/* The algorithms the verifier allows (JOT_ALG_BIT mask). */
unsigned jot_verifier_algs(const jot_verifier *v);

/* Verify a compact JWT. On JOT_OK, *out (if out is not NULL) is the
 * verified result, freed by the caller with jot_claims_free; on any other
 * status *out is set to NULL. diag (may be NULL) receives detail. Claims
 * that the verifier does not interpret may hold any JSON number (RFC 8259
 * 6); the registered ones must have their types (RFC 7519 4.1), and exp,
 * nbf and iat (NumericDates, fractions allowed) a value within int64
 * seconds: otherwise JOT_E_MALFORMED. */
JOT_NODISCARD jot_status jot_verify(const jot_verifier *v, const char *token, size_t len, jot_claims **out,
                                    jot_diag *diag);

/* ---- Reading a verified result --------------------------------------- */

void jot_claims_free(jot_claims *c);

/* A string claim. *out is NUL-terminated and valid as long as c; *len (may
 * be NULL) is its length. A verified token never holds "\u0000" in a
 * string: jot_verify refuses it as malformed. Errors: JOT_E_NOT_FOUND,
 * JOT_E_TYPE. */
jot_status jot_claims_string(const jot_claims *c, const char *name, const char **out, size_t *len);

/* An integer claim: a JSON number whose value, a fraction truncated toward
 * zero, fits int64 (an integer is read exactly from its text; a fraction
 * or exponent form goes through a double). *out is written on JOT_OK only.
 * Errors: JOT_E_NOT_FOUND, JOT_E_TYPE (not a number, or out of range, such
 * as 18446744073709551615 or 1e300: read those with jot_claims_json). The
 * verifier has checked that exp, nbf and iat, when present, read here. */
jot_status jot_claims_int(const jot_claims *c, const char *name, int64_t *out);

/* The number of strings in an array-of-strings claim (a single string
 * counts as an array of one, as "aud" may be either), and the i-th.
 * Errors: JOT_E_NOT_FOUND, JOT_E_TYPE, JOT_E_ARG (i out of range). */
jot_status jot_claims_array_len(const jot_claims *c, const char *name, size_t *out);
jot_status jot_claims_array_string(const jot_claims *c, const char *name, size_t i, const char **out,
                                   size_t *len);

/* One claim's value as a one-line JSON text (NULL name: the whole claims
 * set), as the token wrote it: members in their order, numbers exactly as
 * written (5.01, 1e300, -0, 18446744073709551615), only the white space
 * between tokens removed and strings escaped the usual way (only '"', '\\'
 * and control characters, short forms first). Caller frees *out with
 * jot_free. Errors: JOT_E_NOT_FOUND, JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_claims_json(const jot_claims *c, const char *name, char **out);

/* A string member of the protected header ("kid", "typ", ...). */
jot_status jot_claims_header_string(const jot_claims *c, const char *name, const char **out, size_t *len);
/* The protected header as a one-line JSON text, written as jot_claims_json
 * writes the claims; caller frees with jot_free. */
JOT_NODISCARD jot_status jot_claims_header_json(const jot_claims *c, char **out);

/* The verified payload bytes, valid as long as c. */
void jot_claims_payload(const jot_claims *c, const uint8_t **out, size_t *len);
/* The algorithm the token was verified with, and the key that verified it
 * (borrowed, valid as long as the verifier). */
jot_alg jot_claims_alg(const jot_claims *c);
const jot_key *jot_claims_key(const jot_claims *c);

#ifdef __cplusplus
}
#endif
#endif
