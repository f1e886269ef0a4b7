/* lib/jws internals: the compact serialization, split and assembled. */
#ifndef JOT_JWS_INTERNAL_H
#define JOT_JWS_INTERNAL_H

#include "core/core.h"

/* A compact JWS taken apart (RFC 7515 7.1). The signing input is the
 * token's first signing_input_len bytes. */
typedef struct jot__jws {
    size_t signing_input_len;
    json_t *header;      /* the protected header, a JSON object (owned) */
    uint8_t *payload;    /* decoded payload (owned, NUL-terminated) */
    size_t payload_len;
    uint8_t *sig;        /* decoded signature (owned) */
    size_t sig_len;
} jot__jws;

/* Split and decode token: three segments, strict base64url, the header a
 * JSON object. The payload is decoded but not parsed. JOT_E_MALFORMED with
 * detail in d; on failure nothing is left to release. */
jot_status jot__jws_parse(const char *token, size_t len, jot__jws *out, jot_diag *d);
void jot__jws_release(jot__jws *jws);

/* The compact JWS of the given header and payload bytes, signed by key
 * under alg (no check of the header). *out is malloc'ed. */
jot_status jot__jws_compose(const jot_key *key, jot_alg alg, const char *header, size_t header_len,
                            const void *payload, size_t payload_len, char **out);

#endif
