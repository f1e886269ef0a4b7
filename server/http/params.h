/*
 * server/http/params.h - request bodies as a flat list of named parameters.
 *
 * A JSON body (RFC 8259) must be one object; its members become parameters.
 * Strings, true, false, null and numbers keep their value; nested objects and
 * arrays are kept as JOTD_P_OTHER with their compact JSON text. The parser is strict:
 * invalid UTF-8, unpaired surrogates, NUL characters, duplicate member names,
 * nesting deeper than 16 and more than 64 members are all refused.
 *
 * A form body (application/x-www-form-urlencoded, as RFC 6749 and RFC 7009
 * use it) gives string parameters; a parameter given twice is refused, as
 * RFC 6749 3.1 and 3.2 require.
 */
#ifndef JOTD_HTTP_PARAMS_H
#define JOTD_HTTP_PARAMS_H

#include <stddef.h>

typedef enum jotd_pkind {
    JOTD_P_ABSENT = 0,
    JOTD_P_STRING,
    JOTD_P_TRUE,
    JOTD_P_FALSE,
    JOTD_P_NULL,
    JOTD_P_NUMBER,
    JOTD_P_OTHER, /* an object or an array */
} jotd_pkind;

typedef struct jotd_param {
    char *name;
    char *value; /* NUL-terminated; JOTD_P_OTHER: compact JSON text */
    size_t value_len;
    jotd_pkind kind;
} jotd_param;

typedef struct jotd_params {
    jotd_param *v;
    size_t n;
} jotd_params;

#define JOTD_PARAMS_MAX 64

/* Parse; on failure return -1 with *why a static explanation and *out
 * empty. */
int jotd_params_from_json(const char *body, size_t len, jotd_params *out, const char **why);
int jotd_params_from_form(const char *body, size_t len, jotd_params *out, const char **why);

/* The parameter called name, or NULL. */
const jotd_param *jotd_params_get(const jotd_params *p, const char *name);

/* Wipes the values (they may be passwords or tokens) and frees them. */
void jotd_params_release(jotd_params *p);

#endif
