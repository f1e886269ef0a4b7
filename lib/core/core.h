/*
 * lib/core: what every part of libjot shares - base64url, the error table
 * and diagnostics, and the JSON wrapper that bounds size and depth before
 * Jansson allocates anything. The keys' own vocabulary (struct jot_key,
 * algorithms, curves, which key fits which algorithm) is in core/key.h;
 * wiping and constant-time comparison are public (jot/util.h).
 */
#ifndef JOT_CORE_H
#define JOT_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <jot/jot.h>

/* ---- base64url (RFC 4648 5, as RFC 7515 2 uses it: no padding) -------- */

/* Length of the encoding of n bytes, and of the decoding of n characters
 * (an upper bound; the exact length is returned by the decoder). */
#define JOT__B64_ENC_LEN(n) (((n) / 3u) * 4u + (((n) % 3u) ? ((n) % 3u) + 1u : 0u))
#define JOT__B64_DEC_MAX(n) (((n) / 4u) * 3u + 2u)

/* Encode n bytes into out (JOT__B64_ENC_LEN(n) characters, no NUL). */
void jot__b64url_encode(const uint8_t *in, size_t n, char *out);
/* A new NUL-terminated encoding (malloc'ed), or NULL on no memory. */
char *jot__b64url_encode_str(const uint8_t *in, size_t n);
/* Strictly decode n characters into out (room for JOT__B64_DEC_MAX(n)):
 * only the URL-safe alphabet, no padding, no white space, no length that is
 * 1 mod 4, and the unused trailing bits zero (canonical). 0 on success. */
int jot__b64url_decode(const char *in, size_t n, uint8_t *out, size_t *out_len);

/* ---- errors ----------------------------------------------------------- */

/* Record status and a printf-style detail in d (if d is not NULL and holds
 * no earlier failure) and return status. */
jot_status jot__fail(jot_diag *d, jot_status status, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- JSON ------------------------------------------------------------- */

/* Only lib/core/json.c calls Jansson. The rest of libjot holds parsed JSON
 * as json_t pointers and reaches into them through the functions below.
 * (This header includes <jansson.h> for the type, and because the fuzz
 * targets compare the scanner with Jansson through it.) */

#define JOT__JSON_MAX_DEPTH 16u

/* Parse a JSON text that must be one object: duplicate member names, depth
 * over JOT__JSON_MAX_DEPTH, invalid UTF-8 and trailing data are refused
 * (JOT_E_MALFORMED), the depth before Jansson runs. *out is a new
 * reference, released with jot__json_free. */
jot_status jot__json_object(const char *text, size_t n, json_t **out, jot_diag *d, const char *what);
/* A one-line compact JSON text of v, malloc'ed (free with jot_free or
 * free), or NULL on no memory. */
char *jot__json_dump(const json_t *v);
/* The same for the JSON value text[0..n) (any value, read by the rules of
 * jot__json_object), or, when it is none, for a JSON string holding those
 * bytes; NULL when they are not UTF-8 either, or on no memory. */
char *jot__json_redump(const char *text, size_t n);
/* Wipe the string values of the named members of obj in place (private
 * key members) so that Jansson frees no secret. */
void jot__json_wipe_members(json_t *obj, const char *const *names);

/* 1 when v is an object, or an array; 0 else (NULL included). */
int jot__json_is_object(const json_t *v);
int jot__json_is_array(const json_t *v);
/* The member name of obj, or NULL (absent, or obj no object); the i-th
 * element of arr, or NULL (past the end, or arr no array). Borrowed. */
json_t *jot__json_get(const json_t *obj, const char *name);
json_t *jot__json_at(const json_t *arr, size_t i);
/* The value of the JSON string v and its length in *len (len may be
 * NULL), or NULL when v is no string. Valid as long as v. */
const char *jot__json_str(const json_t *v, size_t *len);
/* A new empty array (array set) or object, or NULL on no memory. */
json_t *jot__json_new(int array);
/* Set the member name of the object to to v, or with name NULL append v to
 * the array to; v is taken over even on failure (it may be NULL). 0 on
 * success, -1 on failure. _put_str sets a member to a new JSON string
 * copied from s (UTF-8). */
int jot__json_put(json_t *to, const char *name, json_t *v);
int jot__json_put_str(json_t *obj, const char *name, const char *s);
/* Drop a reference from jot__json_object or jot__json_new. NULL is ok. */
void jot__json_free(json_t *v);

/* ---- small helpers ---------------------------------------------------- */

char *jot__strdup(const char *s);
char *jot__strndup(const char *s, size_t n);

#endif
