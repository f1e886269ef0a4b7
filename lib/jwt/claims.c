/* Reading a verified result; see jot/jwt.h. */
#include <stdlib.h>
#include <string.h>

#include "jwt/jwt.h"

jot_status jot__claims_check_types(const json_t *obj, jot_status bad, jot_diag *d)
{
    static const char *const strings[] = {"iss", "sub", "jti"};
    static const char *const dates[] = {"exp", "nbf", "iat"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(obj, strings[i]);
        if (v && !json_is_string(v))
            return jot__fail(d, bad, "claim \"%s\" is not a string", strings[i]);
        v = json_object_get(obj, dates[i]);
        /* RFC 7519 2: a NumericDate is a JSON number, never a string. */
        if (v && !json_is_number(v))
            return jot__fail(d, bad, "claim \"%s\" is not a number", dates[i]);
    }
    json_t *aud = json_object_get(obj, "aud");
    if (aud && !json_is_string(aud)) {
        size_t i;
        json_t *a;
        if (!json_is_array(aud))
            return jot__fail(d, bad, "claim \"aud\" is neither a string nor an array");
        json_array_foreach(aud, i, a) {
            if (!json_is_string(a))
                return jot__fail(d, bad, "claim \"aud\" holds a non-string");
        }
    }
    return JOT_OK;
}

void jot_claims_free(jot_claims *c)
{
    if (!c)
        return;
    jot__jdoc_release(&c->jws.hdoc);
    if (c->has_pdoc)
        jot__jdoc_release(&c->pdoc);
    json_decref(c->header_tree);
    json_decref(c->payload_tree);
    free(c);
}

/* The header or the claims set as a Jansson tree, parsed on first use. The
 * text was validated by the scanner, so only memory can fail here. A
 * jot_claims belongs to one thread at a time, which makes the cache safe. */
static json_t *tree(const jot_claims *c, int header)
{
    jot_claims *m = (jot_claims *)(uintptr_t)c;
    json_t **t = header ? &m->header_tree : &m->payload_tree;
    if (!*t && (header || c->has_pdoc)) {
        const char *text = header ? c->jws.header : c->jws.payload;
        size_t len = header ? c->jws.header_len : c->jws.payload_len;
        if (jot__json_object(text, len, t, NULL, "claims") != JOT_OK)
            *t = NULL;
    }
    return *t;
}

static jot_status member(const json_t *obj, const char *name, json_t **out)
{
    if (!obj || !name)
        return obj ? JOT_E_ARG : JOT_E_NOT_FOUND;
    *out = json_object_get(obj, name);
    return *out ? JOT_OK : JOT_E_NOT_FOUND;
}

static jot_status string_of(json_t *v, const char **out, size_t *len)
{
    if (!json_is_string(v))
        return JOT_E_TYPE;
    if (out)
        *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return JOT_OK;
}

jot_status jot_claims_string(const jot_claims *c, const char *name, const char **out, size_t *len)
{
    json_t *v;
    jot_status s = member(c ? tree(c, 0) : NULL, name, &v);
    return s == JOT_OK ? string_of(v, out, len) : s;
}

jot_status jot_claims_int(const jot_claims *c, const char *name, int64_t *out)
{
    json_t *v;
    jot_status s = member(c ? tree(c, 0) : NULL, name, &v);
    if (s != JOT_OK)
        return s;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return JOT_OK;
    }
    if (json_is_real(v)) {
        double r = json_real_value(v);
        if (!(r > -9.2e18 && r < 9.2e18))
            return JOT_E_TYPE;
        *out = (int64_t)r;
        return JOT_OK;
    }
    return JOT_E_TYPE;
}

jot_status jot_claims_array_len(const jot_claims *c, const char *name, size_t *out)
{
    json_t *v;
    jot_status s = member(c ? tree(c, 0) : NULL, name, &v);
    if (s != JOT_OK)
        return s;
    if (json_is_string(v)) {
        *out = 1;
        return JOT_OK;
    }
    if (!json_is_array(v))
        return JOT_E_TYPE;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return JOT_E_TYPE;
    }
    *out = json_array_size(v);
    return JOT_OK;
}

jot_status jot_claims_array_string(const jot_claims *c, const char *name, size_t i, const char **out, size_t *len)
{
    size_t n;
    jot_status s = jot_claims_array_len(c, name, &n);
    if (s != JOT_OK)
        return s;
    if (i >= n)
        return JOT_E_ARG;
    json_t *v = json_object_get(tree(c, 0), name);
    return string_of(json_is_string(v) ? v : json_array_get(v, i), out, len);
}

jot_status jot_claims_json(const jot_claims *c, const char *name, char **out)
{
    if (!c || !out)
        return JOT_E_ARG;
    *out = NULL;
    json_t *v = tree(c, 0);
    if (!v)
        return c->has_pdoc ? JOT_E_NOMEM : JOT_E_NOT_FOUND;
    if (name && !(v = json_object_get(v, name)))
        return JOT_E_NOT_FOUND;
    *out = jot__json_dump(v);
    return *out ? JOT_OK : JOT_E_NOMEM;
}

jot_status jot_claims_header_string(const jot_claims *c, const char *name, const char **out, size_t *len)
{
    json_t *v;
    jot_status s = member(c ? tree(c, 1) : NULL, name, &v);
    return s == JOT_OK ? string_of(v, out, len) : s;
}

jot_status jot_claims_header_json(const jot_claims *c, char **out)
{
    if (!c || !out)
        return JOT_E_ARG;
    json_t *h = tree(c, 1);
    *out = h ? jot__json_dump(h) : NULL;
    return *out ? JOT_OK : JOT_E_NOMEM;
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
