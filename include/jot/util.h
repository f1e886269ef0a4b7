/*
 * jot/util.h - the small tools libjot is built on, for programs that need
 * the same ones (libsodium's sodium_memzero, sodium_memcmp and
 * sodium_bin2base64 are the model): base64url, wiping, constant-time
 * comparison, and the UTF-8 and JSON depth checks the verifier applies.
 *
 * Nothing here allocates, and every function may be called from any number
 * of threads at once. The caller owns every buffer.
 */
#ifndef JOT_UTIL_H
#define JOT_UTIL_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The number of characters of the base64url text (RFC 4648 5, without
 * padding, as RFC 7515 2 uses it) of n bytes, without a terminating NUL.
 * n may be up to SIZE_MAX / 4 * 3. */
size_t jot_base64url_len(size_t n);

/* Encode the n bytes at in (NULL is ok when n is 0) as base64url without
 * padding into out, which has room for jot_base64url_len(n) + 1 bytes; out
 * is NUL-terminated. */
void jot_base64url_encode(const void *in, size_t n, char *out);

/* Decode the n characters at in as strict base64url, the way the verifier
 * decodes a token: only the URL-safe alphabet, no padding, no white space,
 * no length that is 1 modulo 4, and the unused bits of the last character
 * zero (RFC 4648 3.5), so that each byte string has exactly one encoding.
 * out has room for cap bytes; on JOT_OK *out_len is the number written.
 * Errors: JOT_E_MALFORMED (not such a text), JOT_E_ARG (a NULL argument, or
 * cap smaller than the decoding). On failure *out_len is not written and
 * out holds nothing of the input (what was decoded is zeroed again). */
JOT_NODISCARD jot_status jot_base64url_decode(const char *in, size_t n, void *out, size_t cap, size_t *out_len);

/* Overwrite the n bytes at p with zeros in a way the compiler cannot leave
 * out as a dead store (OPENSSL_cleanse), for secrets before their memory is
 * freed. NULL or 0 is ok. */
void jot_wipe(void *p, size_t n);

/* 1 when the n bytes at a and at b are equal, else 0, in a time that
 * depends on n only (CRYPTO_memcmp), for MACs and tokens. 1 when n is 0
 * (a and b may then be NULL). */
int jot_equal(const void *a, const void *b, size_t n);

/* 1 when the n bytes at s are valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), else 0. NUL bytes are valid UTF-8;
 * s may be NULL when n is 0. */
int jot_utf8_valid(const char *s, size_t n);

/* 1 when no array or object in the n bytes of JSON text at json is nested
 * deeper than max levels ("[]" and "{}" are one level), else 0. Strings
 * and their escapes are skipped; the text is not otherwise validated, and
 * nothing is allocated, so that it can bound a parser's work before the
 * parser runs. json may be NULL when n is 0. */
int jot_json_depth_ok(const char *json, size_t n, size_t max);

#ifdef __cplusplus
}
#endif
#endif
