/*
 * A strict JSON scanner for the verify path: it validates a JSON object
 * text completely, by the same rules as jot__json_object (RFC 8259 grammar,
 * UTF-8, no "\u0000", no lone surrogates, no duplicate member names at any
 * level, depth at most JOT__JSON_MAX_DEPTH), with numbers of any size, and
 * records where the top-level members are, without building a tree or
 * copying anything.
 */
#ifndef JOT_CORE_JSCAN_H
#define JOT_CORE_JSCAN_H

#include "core/core.h"

typedef enum jot__jtype {
    JOT__J_STRING = 1,
    JOT__J_INTEGER,
    JOT__J_REAL,
    JOT__J_OBJECT,
    JOT__J_ARRAY,
    JOT__J_TRUE,
    JOT__J_FALSE,
    JOT__J_NULL,
} jot__jtype;

/* A top-level member: spans into the scanned text. A string's span is its
 * content between the quotes, escapes not decoded (escaped says whether
 * there are any); other values span their whole text. */
typedef struct jot__jmember {
    const char *name;
    const char *value;
    uint32_t name_len;
    uint32_t value_len;
    uint8_t type;
    uint8_t name_escaped;
    uint8_t value_escaped;
} jot__jmember;

#define JOT__JDOC_INLINE 16

/* The registered header parameters and claims that verification reads
 * (RFC 7515 4.1, RFC 7519 4.1), located while scanning so that looking
 * one up costs nothing. */
typedef enum jot__reg {
    JOT__R_ISS, JOT__R_SUB, JOT__R_AUD, JOT__R_EXP, JOT__R_NBF, JOT__R_IAT, JOT__R_JTI,
    JOT__R_ALG, JOT__R_KID, JOT__R_TYP, JOT__R_CTY, JOT__R_CRIT,
    JOT__R_COUNT
} jot__reg;

typedef struct jot__jdoc {
    jot__jmember *members; /* inline_members, or a heap array */
    size_t count;
    size_t cap;
    int16_t reg[JOT__R_COUNT]; /* index of each registered member, or -1 */
    jot__jmember inline_members[JOT__JDOC_INLINE];
} jot__jdoc;

/* The names of jot__reg, in its order (claims first: a claims set has more
 * members than a header, and the scanner tries them in turn). */
extern const char jot__reg_names[JOT__R_COUNT][5];

/* The registered member r of a scanned object, or NULL. */
static inline const jot__jmember *jot__jdoc_reg(const jot__jdoc *doc, jot__reg r)
{
    return doc->reg[r] >= 0 ? &doc->members[doc->reg[r]] : NULL;
}

/* Scan text (n bytes), which must be one JSON object. On JOT_OK doc lists
 * its top-level members in order; release it with jot__jdoc_release. On
 * failure, JOT_E_MALFORMED with detail naming `what`, or JOT_E_NOMEM, and
 * nothing to release. */
jot_status jot__jscan_object(const char *text, size_t n, jot__jdoc *doc, jot_diag *d, const char *what);
void jot__jdoc_release(jot__jdoc *doc);

/* The member named name (a plain C string), or NULL. */
const jot__jmember *jot__jdoc_get(const jot__jdoc *doc, const char *name);

/* Whether the string span (escaped as given) equals want[0..want_len). */
int jot__jstr_equals(const char *span, size_t len, int escaped, const char *want, size_t want_len);

/* Decode a string span into out (room for len + 1 bytes: decoding never
 * lengthens; out may be span itself), NUL-terminated; returns the decoded
 * length. The span must come from a successful scan. */
size_t jot__jstr_decode(const char *span, size_t len, int escaped, char *out);

/* The value of a number span from a successful scan: the nearest double,
 * so +-HUGE_VAL beyond the range of doubles (NAN when out of memory). */
double jot__jnum_value(const jot__jmember *m);

/* A number's value truncated toward zero into *out, when it fits int64
 * (an integer exactly, from its text); 0, else (or not a number) -1. */
int jot__jnum_int64(const jot__jmember *m, int64_t *out);

/* Write the JSON value text[0..n) from a successful scan into out (room for
 * n + 1 bytes) on one line: without the white space between tokens,
 * numbers as written, strings escaped as Jansson escapes them. Returns the
 * length; out is NUL-terminated. */
size_t jot__json_compact(const char *text, size_t n, char *out);

/* Iterate the elements of an array span from a successful scan: *pos
 * starts at 0; each call sets *el (type, value, value_len, value_escaped)
 * and returns 1, or returns 0 at the end. */
int jot__jarray_next(const char *span, size_t len, size_t *pos, jot__jmember *el);

/* 1 for the bytes a JSON string holds as they are (printable ASCII other
 * than '"' and backslash), 0 for the rest. */
extern const uint8_t jot__json_plain[256];

/* Length of the valid UTF-8 sequence of two or more bytes at p (RFC 3629
 * 4: no overlong forms, no surrogates, nothing above U+10FFFF), or 0: the
 * one UTF-8 check of libjot, which jot_utf8_valid runs over a text. */
size_t jot__utf8_len(const unsigned char *p, size_t avail);

#endif
