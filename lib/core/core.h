/*
 * lib/core: what every part of libjot shares - base64url, the error table
 * and diagnostics, and the JSON wrapper that bounds size and depth before
 * Jansson allocates anything.
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

#define JOT__JSON_MAX_DEPTH 16u

/* Parse a JSON text that must be one object: duplicate member names, depth
 * over JOT__JSON_MAX_DEPTH, invalid UTF-8 and trailing data are refused
 * (JOT_E_MALFORMED), the depth before Jansson runs. *out is a new
 * reference. */
jot_status jot__json_object(const char *text, size_t n, json_t **out, jot_diag *d, const char *what);
/* Parse any JSON value with the same rules. */
jot_status jot__json_value(const char *text, size_t n, json_t **out, jot_diag *d, const char *what);
/* A one-line compact JSON text of v, malloc'ed (free with jot_free or
 * free), or NULL on no memory. */
char *jot__json_dump(const json_t *v);
/* Wipe the string values of the named members of obj in place (private
 * key members) so that Jansson frees no secret. */
void jot__json_wipe_members(json_t *obj, const char *const *names);

/* ---- small helpers ---------------------------------------------------- */

char *jot__strdup(const char *s);
char *jot__strndup(const char *s, size_t n);

#endif
