/* lib/jws internals: the compact serialization, split and assembled. */
#ifndef JOT_JWS_INTERNAL_H
#define JOT_JWS_INTERNAL_H

#include "core/core.h"
#include "core/jscan.h"

/* Room parse needs to decode a token of len bytes: the three decodings
 * and a NUL after header and payload. */
#define JOT__JWS_BUF(len) ((len) + 8u)

/* A compact JWS taken apart (RFC 7515 7.1). The signing input is the
 * token's first signing_input_len bytes; the decoded parts live in the
 * caller's buffer. */
typedef struct jot__jws {
    const char *token;    /* the compact token (borrowed) */
    size_t token_len;
    const char *payload_b64; /* its payload segment */
    size_t signing_input_len;
    const char *header;   /* decoded protected header, NUL-terminated */
    size_t header_len;
    const char *payload;  /* decoded payload, NUL-terminated */
    size_t payload_len;
    const uint8_t *sig;
    size_t sig_len;
    jot__jdoc hdoc;       /* the header's members (a JSON object) */
} jot__jws;

/* Split and decode token into buf (room for JOT__JWS_BUF(len)): three
 * segments, strict base64url, the header one JSON object. The payload is
 * decoded but not parsed. JOT_E_MALFORMED with detail in d; on success
 * release out->hdoc with jot__jdoc_release. */
jot_status jot__jws_parse(const char *token, size_t len, char *buf, jot__jws *out, jot_diag *d);

/* The same in two steps, for a verifier that must judge the header before
 * the rest (a "crit" header may announce an unencoded payload, RFC 7797):
 * _header splits the token and decodes and scans the header (release
 * out->hdoc on success); _rest decodes the payload and signature. */
jot_status jot__jws_parse_header(const char *token, size_t len, char *buf, jot__jws *out, jot_diag *d);
jot_status jot__jws_parse_rest(jot__jws *jws, jot_diag *d);

/* Whether the signature of a parsed JWS verifies with key under alg
 * (jot_sig_verify's answers), for a key that the caller has found fit
 * (jot_key_fits). */
jot_status jot__jws_verify(const jot__jws *jws, const jot_key *key, jot_alg alg);

/* The compact JWS of the given header and payload bytes, signed by key
 * under alg, which the caller has found fit (jot_key_fits); the header is
 * not checked. *out is malloc'ed. */
jot_status jot__jws_compose(const jot_key *key, jot_alg alg, const char *header, size_t header_len,
                            const void *payload, size_t payload_len, char **out);

#endif
