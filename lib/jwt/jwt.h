/* lib/jwt internals. */
#ifndef JOT_JWT_INTERNAL_H
#define JOT_JWT_INTERNAL_H

#include "core/core.h"

struct jot_claims {
    json_t *header;   /* protected header object */
    json_t *payload;  /* claims set object, or NULL under JOT_VERIFY_JWS_ONLY */
    uint8_t *raw;     /* payload bytes */
    size_t raw_len;
    jot_alg alg;
    const jot_key *key;
};

/* JOT_OK when the registered claims in obj have their RFC 7519 4.1 types:
 * iss, sub, jti strings; aud a string or an array of strings; exp, nbf,
 * iat numbers (NumericDate). Else `bad` with detail. */
jot_status jot__claims_check_types(const json_t *obj, jot_status bad, jot_diag *d);

#endif
