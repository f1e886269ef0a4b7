/*
 * jot/jws.h - JWS compact serialization (RFC 7515 7.1) and the JWA
 * signature layer (RFC 7518 3) beneath it.
 *
 * Most programs want jot/jwt.h: a builder to sign claims and a verifier to
 * check tokens. This header is the layer below, for payloads that are not
 * claims sets and for testing the signatures themselves.
 */
#ifndef JOT_JWS_H
#define JOT_JWS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jwk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest signature any supported key produces (RSA 16384 bits). */
#define JOT_SIG_MAX 2048u

/* Sign msg with key under alg, in the JWS encoding of RFC 7518 3 (HMAC
 * output; RSA signature of the modulus size; ECDSA as R||S of fixed length;
 * Ed25519/Ed448 raw). sig must have room for JOT_SIG_MAX bytes; *sig_len
 * receives the length. Errors: JOT_E_ARG, JOT_E_KEY (public key only),
 * JOT_E_KEY_MISMATCH, JOT_E_WEAK_KEY, JOT_E_CRYPTO. */
JOT_NODISCARD jot_status jot_sig_sign(const jot_key *key, jot_alg alg, const void *msg, size_t msg_len,
                                      uint8_t *sig, size_t *sig_len);

/* Verify a JWS-encoded signature of msg: JOT_OK or JOT_E_BAD_SIGNATURE
 * (wrong length, r or s outside [1, n-1], a MAC that differs - compared in
 * constant time - or a signature that does not verify). Also
 * JOT_E_KEY_MISMATCH / JOT_E_WEAK_KEY when the key does not fit alg. */
JOT_NODISCARD jot_status jot_sig_verify(const jot_key *key, jot_alg alg, const void *msg, size_t msg_len,
                                        const uint8_t *sig, size_t sig_len);

/* A compact JWS of payload, with exactly the given protected header bytes
 * (a JSON object whose "alg" must name alg). The result is
 * BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature).
 * Caller frees *out with jot_free. Errors: as jot_sig_sign, and
 * JOT_E_MALFORMED for a header that is not such an object. */
JOT_NODISCARD jot_status jot_jws_sign(const jot_key *key, jot_alg alg, const char *header, size_t header_len,
                                      const void *payload, size_t payload_len, char **out);

/* Read a compact JWS WITHOUT VERIFYING IT, for display only. On JOT_OK
 * *header_json is the protected header (a JSON object text) and
 * *payload_json the payload: its JSON text when it is JSON, else a JSON
 * string holding it (when it is UTF-8), else JOT_E_MALFORMED. Both one line,
 * written as jot_claims_json writes claims (numbers as in the token); caller
 * frees both with jot_free. Errors: JOT_E_MALFORMED, JOT_E_TOO_LARGE (over
 * max_size; 0 means 65536), JOT_E_NOMEM. */
JOT_NODISCARD jot_status jot_decode_unverified(const char *token, size_t len, size_t max_size,
                                               char **header_json, char **payload_json, jot_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
