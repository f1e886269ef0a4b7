/* The error table and diagnostics; see jot/error.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static const struct {
    jot_status status;
    const char *code;
    const char *text;
} jot_errors[] = {
    {JOT_OK, "ok", "success"},
    {JOT_E_NOMEM, "no-memory", "out of memory"},
    {JOT_E_ARG, "bad-argument", "invalid argument"},
    {JOT_E_KEY, "bad-key", "invalid or unusable key"},
    {JOT_E_WEAK_KEY, "weak-key", "key too weak (RSA under 2048 bits, or HMAC key shorter than the hash output)"},
    {JOT_E_KEY_MISMATCH, "key-mismatch", "key does not fit the algorithm"},
    {JOT_E_CRYPTO, "crypto-failure", "cryptographic library failure"},
    {JOT_E_NOT_FOUND, "not-found", "not found"},
    {JOT_E_TYPE, "wrong-type", "wrong JSON type"},
    {JOT_E_UNSUPPORTED, "unsupported", "not supported"},
    {JOT_E_TOO_LARGE, "too-large", "token larger than allowed"},
    {JOT_E_MALFORMED, "malformed", "malformed token"},
    {JOT_E_ALG_NOT_ALLOWED, "alg-not-allowed", "algorithm not allowed"},
    {JOT_E_CRIT_UNSUPPORTED, "crit-unsupported", "critical header parameter not understood"},
    {JOT_E_NO_KEY, "no-key", "no key for this token"},
    {JOT_E_BAD_SIGNATURE, "bad-signature", "signature does not verify"},
    {JOT_E_EXPIRED, "expired", "token has expired"},
    {JOT_E_NOT_YET_VALID, "not-yet-valid", "token is not yet valid"},
    {JOT_E_ISSUED_IN_FUTURE, "issued-in-future", "token issued in the future"},
    {JOT_E_BAD_ISSUER, "bad-issuer", "issuer does not match"},
    {JOT_E_BAD_AUDIENCE, "bad-audience", "audience does not match"},
    {JOT_E_BAD_SUBJECT, "bad-subject", "subject does not match"},
    {JOT_E_BAD_TYPE, "bad-type", "token type does not match"},
    {JOT_E_MISSING_CLAIM, "missing-claim", "a required claim is missing"},
    {JOT_E_REVOKED, "revoked", "token has been revoked"},
};

static size_t jot_error_index(jot_status s)
{
    for (size_t i = 0; i < sizeof jot_errors / sizeof jot_errors[0]; i++)
        if (jot_errors[i].status == s)
            return i;
    return SIZE_MAX;
}

const char *jot_strerror(jot_status s)
{
    size_t i = jot_error_index(s);
    return i == SIZE_MAX ? "unknown error" : jot_errors[i].text;
}

const char *jot_status_code(jot_status s)
{
    size_t i = jot_error_index(s);
    return i == SIZE_MAX ? "error" : jot_errors[i].code;
}

void jot_diag_init(jot_diag *d)
{
    if (d) {
        d->status = JOT_OK;
        d->text[0] = '\0';
    }
}

jot_status jot__fail(jot_diag *d, jot_status status, const char *fmt, ...)
{
    if (d && d->status == JOT_OK && status != JOT_OK) {
        va_list ap;
        d->status = status;
        va_start(ap, fmt);
        vsnprintf(d->text, sizeof d->text, fmt, ap);
        va_end(ap);
    }
    return status;
}

void jot_free(void *p)
{
    if (p) {
        jot_wipe(p, strlen(p));
        free(p);
    }
}

const char *jot_version(void)
{
    return JOT_VERSION_STRING;
}

char *jot__strndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

char *jot__strdup(const char *s)
{
    return jot__strndup(s, strlen(s));
}
