/* lib/jwt internals. */
#ifndef JOT_JWT_INTERNAL_H
#define JOT_JWT_INTERNAL_H

#include "core/core.h"
#include "core/jscan.h"
#include "jws/jws.h"

/* A verification in progress, and then its result: one allocation holding
 * the decoded token (buf) and the scanned members. The JSON trees that the
 * accessors read are built on first use only. */
struct jot_claims {
    jot__jws jws;      /* header, payload and signature spans into buf */
    jot__jdoc pdoc;    /* the claims set's members (unless JWS-only) */
    int has_pdoc;
    jot_alg alg;
    const jot_key *key; /* borrowed from the verifier, once the signature verified */
    json_t *header_tree;  /* built lazily by the accessors */
    json_t *payload_tree;
    char buf[];        /* JOT__JWS_BUF(token length) bytes */
};

/* JOT_OK when the registered claims in obj have their RFC 7519 4.1 types:
 * iss, sub, jti strings; aud a string or an array of strings; exp, nbf,
 * iat numbers (NumericDate). Else `bad` with detail. */
jot_status jot__claims_check_types(const json_t *obj, jot_status bad, jot_diag *d);

#endif
