/*
 * What the fuzz targets share: a failing property stops the run the way a
 * crash does (with a message and __builtin_trap, so that libFuzzer saves the
 * input), the fixed keys of fuzz/keys/, and the round-trip checks of a key
 * that libjot accepted.
 */
#ifndef JOT_FUZZ_COMMON_H
#define JOT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <jot/jot.h>

/* A property that does not hold is a finding: say which, then trap. */
#define FZ_CHECK(cond, ...)                                                                                  \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                                 \
    } while (0)

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* The whole file at path, NUL-terminated, or NULL (the caller frees). */
char *fz_read_file(const char *path, size_t *len);

/* A copy of text (n bytes, not NUL-terminated) in which every number
 * outside strings that RFC 8259 6 allows is replaced by 0 (an integer) or
 * 0.0 (a fraction or exponent form), padded with spaces to its length:
 * valid JSON exactly when text is, and small enough for Jansson, which
 * refuses integers beyond 64 bits and reals beyond double. The caller
 * frees it. */
char *fz_zero_numbers(const char *text, size_t n);

/* The keys of fuzz/keys/ (every *.jwk, in name order), private halves as
 * jot_key_from_jwk gives them. Loaded once; a key that does not load stops
 * the run (the harness is broken, not the library). */
typedef struct fz_keys {
    jot_key **priv;
    char **names;
    size_t count;
} fz_keys;

void fz_load_keys(fz_keys *out);

/* 1 for the statuses jot_verify may give for a hostile token: JOT_OK and
 * the verification failures of jot/error.h (never JOT_E_NOMEM, JOT_E_CRYPTO,
 * JOT_E_ARG ...: a token must not make the machinery fail). */
int fz_verify_status_ok(jot_status s);

/* The checks for a key libjot accepted: its thumbprint is stable through a
 * JWK export and re-import (public, and private when it is private) and a
 * PEM export and re-import; exports are canonical (exporting the re-imported
 * key gives the same text); the getters agree; and a private key's
 * signature verifies under its re-imported public half. */
void fz_check_key(const jot_key *key);

#endif
