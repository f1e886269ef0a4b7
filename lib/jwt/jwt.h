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

/* The two rules below that read a value through: whether a number fits
 * int64 seconds, and whether a non-string aud is an array of strings. */
const char *jot__claim_date_range_error(const jot__jmember *m);
const char *jot__claim_audience_error(const jot__jmember *m);

/* RFC 7519 4.1: what is wrong with m as the value of the claim named name
 * (iss, sub and jti are strings; exp, nbf and iat NumericDates, numbers
 * that int64 seconds hold; aud a string or an array of strings), as the end
 * of a sentence about the claim ("is not a string"); NULL when nothing is,
 * or when the claim has no fixed type. The one statement of these rules:
 * the verifier refuses what breaks them, and the builder never writes it.
 * Inline, so that a builder setter, whose value type is fixed, reduces it
 * to a few comparisons of the name. */
static inline const char *jot__claim_type_error(const char *name, const jot__jmember *m)
{
    /* Every registered claim has a three-letter name. */
    if (!name[0] || !name[1] || !name[2] || name[3])
        return NULL;
#define JOT__K(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
    switch (JOT__K((unsigned char)name[0], (unsigned char)name[1], (unsigned char)name[2])) {
    case JOT__K('i', 's', 's'):
    case JOT__K('s', 'u', 'b'):
    case JOT__K('j', 't', 'i'):
        return m->type != JOT__J_STRING ? "is not a string" : NULL;
    case JOT__K('e', 'x', 'p'):
    case JOT__K('n', 'b', 'f'):
    case JOT__K('i', 'a', 't'):
        /* RFC 7519 2: a NumericDate is a JSON number, never a string. Any
         * number is one, but a date that int64 seconds cannot hold (some
         * 292 billion years from 1970) is refused as malformed: no clock
         * reaches it, and jot_claims_int could not read it. An integer of
         * 18 digits or fewer fits without being read. */
        if (m->type != JOT__J_INTEGER && m->type != JOT__J_REAL)
            return "is not a number";
        return m->type == JOT__J_INTEGER && m->value_len <= 18 ? NULL : jot__claim_date_range_error(m);
    case JOT__K('a', 'u', 'd'):
        return m->type == JOT__J_STRING ? NULL : jot__claim_audience_error(m);
    default:
        return NULL;
    }
#undef JOT__K
}

#endif
