/* Reading a verified result; see jot/jwt.h. */
#include <stdlib.h>
#include <string.h>

#include "jwt/jwt.h"

void jot_claims_free(jot_claims *c)
{
    if (!c)
        return;
    jot__jdoc_release(&c->jws.hdoc);
    if (c->has_pdoc)
        jot__jdoc_release(&c->pdoc);
    free(c->strings);
    free(c);
}

/* The member name of the header or of the claims set. */
static jot_status find(const jot_claims *c, int header, const char *name, const jot__jmember **out)
{
    if (!c || !name)
        return JOT_E_ARG;
    *out = header ? jot__jdoc_get(&c->jws.hdoc, name) : c->has_pdoc ? jot__jdoc_get(&c->pdoc, name) : NULL;
    return *out ? JOT_OK : JOT_E_NOT_FOUND;
}

/* A string value, decoded and NUL-terminated in c->strings: a copy of the
 * header and the claims set (adjacent in c->buf) made on first use, where
 * each string read is decoded in place (decoding never lengthens) and its
 * closing quote replaced by a NUL, which marks it done. A jot_claims
 * belongs to one thread at a time, which makes the cache safe. */
static jot_status string_of(const jot_claims *c, const jot__jmember *m, const char **out, size_t *len)
{
    jot_claims *mc = (jot_claims *)(uintptr_t)c;
    if (m->type != JOT__J_STRING)
        return JOT_E_TYPE;
    if (!c->strings) {
        size_t n = (size_t)(c->jws.payload + c->jws.payload_len - c->buf);
        if (!(mc->strings = malloc(n)))
            return JOT_E_NOMEM;
        memcpy(mc->strings, c->buf, n);
    }
    char *s = mc->strings + (m->value - c->buf);
    if (s[m->value_len] != '\0') {
        jot__jstr_decode(s, m->value_len, m->value_escaped, s);
        s[m->value_len] = '\0';
    }
    if (out)
        *out = s;
    if (len)
        *len = strlen(s);
    return JOT_OK;
}

jot_status jot_claims_string(const jot_claims *c, const char *name, const char **out, size_t *len)
{
    const jot__jmember *m;
    jot_status s = find(c, 0, name, &m);
    return s == JOT_OK ? string_of(c, m, out, len) : s;
}

jot_status jot_claims_int(const jot_claims *c, const char *name, int64_t *out)
{
    const jot__jmember *m;
    jot_status s = find(c, 0, name, &m);
    if (s == JOT_OK && jot__jnum_int64(m, out) != 0)
        s = JOT_E_TYPE;
    return s;
}

/* RFC 7519 4.1.3: an array of strings, or one string that counts as an
 * array of one. *n is the number of strings and *el the i-th of them,
 * when i < *n. */
static jot_status string_array(const jot__jmember *m, size_t i, jot__jmember *el, size_t *n)
{
    *n = 0;
    if (m->type == JOT__J_STRING) {
        *el = *m;
        *n = 1;
        return JOT_OK;
    }
    if (m->type != JOT__J_ARRAY)
        return JOT_E_TYPE;
    size_t pos = 0;
    jot__jmember e;
    while (jot__jarray_next(m->value, m->value_len, &pos, &e)) {
        if (e.type != JOT__J_STRING)
            return JOT_E_TYPE;
        if ((*n)++ == i)
            *el = e;
    }
    return JOT_OK;
}

jot_status jot_claims_array_len(const jot_claims *c, const char *name, size_t *out)
{
    const jot__jmember *m;
    jot__jmember el;
    size_t n;
    jot_status s = find(c, 0, name, &m);
    if (s == JOT_OK && (s = string_array(m, 0, &el, &n)) == JOT_OK)
        *out = n;
    return s;
}

jot_status jot_claims_array_string(const jot_claims *c, const char *name, size_t i, const char **out, size_t *len)
{
    const jot__jmember *m;
    jot__jmember el = {0};
    size_t n;
    jot_status s = find(c, 0, name, &m);
    if (s == JOT_OK && (s = string_array(m, i, &el, &n)) == JOT_OK && i >= n)
        s = JOT_E_ARG;
    return s == JOT_OK ? string_of(c, &el, out, len) : s;
}

/* A compact copy of a JSON value text from a successful scan. */
static jot_status compact(const char *text, size_t len, char **out)
{
    if (!(*out = malloc(len + 1)))
        return JOT_E_NOMEM;
    jot__json_compact(text, len, *out);
    return JOT_OK;
}

jot_status jot_claims_json(const jot_claims *c, const char *name, char **out)
{
    if (!c || !out)
        return JOT_E_ARG;
    *out = NULL;
    if (!name)
        return c->has_pdoc ? compact(c->jws.payload, c->jws.payload_len, out) : JOT_E_NOT_FOUND;
    const jot__jmember *m;
    jot_status s = find(c, 0, name, &m);
    if (s != JOT_OK)
        return s;
    /* A string's span is its content; the text keeps the quotes. */
    return m->type == JOT__J_STRING ? compact(m->value - 1, m->value_len + 2u, out)
                                    : compact(m->value, m->value_len, out);
}

jot_status jot_claims_header_string(const jot_claims *c, const char *name, const char **out, size_t *len)
{
    const jot__jmember *m;
    jot_status s = find(c, 1, name, &m);
    return s == JOT_OK ? string_of(c, m, out, len) : s;
}

jot_status jot_claims_header_json(const jot_claims *c, char **out)
{
    if (!c || !out)
        return JOT_E_ARG;
    return compact(c->jws.header, c->jws.header_len, out);
}

void jot_claims_payload(const jot_claims *c, const uint8_t **out, size_t *len)
{
    *out = c ? (const uint8_t *)c->jws.payload : NULL;
    *len = c ? c->jws.payload_len : 0;
}

jot_alg jot_claims_alg(const jot_claims *c)
{
    return c ? c->alg : JOT_ALG_UNSET;
}

const jot_key *jot_claims_key(const jot_claims *c)
{
    return c ? c->key : NULL;
}
