/* lib/jwt internals. */
#ifndef JOT_JWT_INTERNAL_H
#define JOT_JWT_INTERNAL_H

#include "core/core.h"
#include "core/jscan.h"
#include "jws/jws.h"

/* A verification in progress, and then its result: one allocation holding
 * the decoded token (buf) and the scanned members, which the accessors
 * read: no JSON tree, so every number keeps its text. */
struct jot_claims {
    jot__jws jws;      /* header, payload and signature spans into buf */
    jot__jdoc pdoc;    /* the claims set's members (unless JWS-only) */
    int has_pdoc;
    jot_alg alg;
    const jot_key *key; /* borrowed from the verifier, once the signature verified */
    char *strings;     /* the string values read so far, decoded (claims.c) */
    char buf[];        /* JOT__JWS_BUF(token length) bytes */
};

#endif
