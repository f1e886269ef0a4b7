/* Building and signing a claims set; see jot/jwt.h. */
#include <stdlib.h>
#include <string.h>

#include "jwk/jwk.h"
#include "jws/jws.h"
#include "jwt/jwt.h"

struct jot_builder {
    json_t *header; /* members other than "alg" */
    json_t *claims;
};

jot_status jot_builder_new(jot_builder **out)
{
    if (!out)
        return JOT_E_ARG;
    jot_builder *b = calloc(1, sizeof *b);
    if (!b)
        return JOT_E_NOMEM;
    b->header = json_pack("{s:s}", "typ", "JWT");
    b->claims = json_object();
    if (!b->header || !b->claims) {
        jot_builder_free(b);
        return JOT_E_NOMEM;
    }
    *out = b;
    return JOT_OK;
}

void jot_builder_free(jot_builder *b)
{
    if (!b)
        return;
    json_decref(b->header);
    json_decref(b->claims);
    free(b);
}

/* Set obj[name] = v (stolen), checking registered claim types when claims. */
static jot_status set_member(json_t *obj, const char *name, json_t *v, int claims)
{
    if (!v)
        return JOT_E_NOMEM;
    if (claims) {
        json_t *probe = json_pack("{s:O}", name, v);
        jot_status s = probe ? jot__claims_check_types(probe, JOT_E_TYPE, NULL) : JOT_E_NOMEM;
        json_decref(probe);
        if (s != JOT_OK) {
            json_decref(v);
            return s;
        }
    }
    return json_object_set_new(obj, name, v) == 0 ? JOT_OK : JOT_E_NOMEM;
}

jot_status jot_builder_claims_json(jot_builder *b, const char *json, size_t len)
{
    if (!b || !json)
        return JOT_E_ARG;
    json_t *o;
    jot_status s = jot__json_object(json, len, &o, NULL, "claims");
    if (s == JOT_OK)
        s = jot__claims_check_types(o, JOT_E_TYPE, NULL);
    if (s == JOT_OK && json_object_update(b->claims, o) != 0)
        s = JOT_E_NOMEM;
    json_decref(o);
    return s;
}

jot_status jot_builder_set_string(jot_builder *b, const char *name, const char *value)
{
    if (!b || !name)
        return JOT_E_ARG;
    if (!value) {
        json_object_del(b->claims, name);
        return JOT_OK;
    }
    return set_member(b->claims, name, json_string(value), 1);
}

jot_status jot_builder_set_int(jot_builder *b, const char *name, int64_t value)
{
    if (!b || !name)
        return JOT_E_ARG;
    return set_member(b->claims, name, json_integer((json_int_t)value), 1);
}

jot_status jot_builder_set_json(jot_builder *b, const char *name, const char *json, size_t len)
{
    if (!b || !name || !json)
        return JOT_E_ARG;
    json_t *v;
    jot_status s = jot__json_value(json, len, &v, NULL, "claim");
    return s == JOT_OK ? set_member(b->claims, name, v, 1) : s;
}

jot_status jot_builder_header_string(jot_builder *b, const char *name, const char *value)
{
    if (!b || !name || strcmp(name, "alg") == 0)
        return JOT_E_ARG;
    if (!value) {
        json_object_del(b->header, name);
        return JOT_OK;
    }
    return set_member(b->header, name, json_string(value), 0);
}

jot_status jot_builder_header_json(jot_builder *b, const char *name, const char *json, size_t len)
{
    if (!b || !name || !json || strcmp(name, "alg") == 0)
        return JOT_E_ARG;
    json_t *v;
    jot_status s = jot__json_value(json, len, &v, NULL, "header member");
    return s == JOT_OK ? set_member(b->header, name, v, 0) : s;
}

jot_status jot_builder_sign(const jot_builder *b, const jot_key *key, jot_alg alg, char **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!b || !key)
        return JOT_E_ARG;
    if (alg == JOT_ALG_UNSET)
        alg = jot_key_alg(key);
    if (!jot_alg_name(alg))
        return JOT_E_ARG;
    jot_status s = jot_key_fits(key, alg);
    if (s != JOT_OK)
        return s;
    if (!jot_key_is_private(key))
        return JOT_E_KEY;

    /* Header members in the usual order: alg, typ, kid, then the rest. */
    json_t *h = json_pack("{s:s}", "alg", jot_alg_name(alg));
    int fail = !h;
    json_t *typ = json_object_get(b->header, "typ"), *kid = json_object_get(b->header, "kid");
    if (!fail && typ)
        fail |= json_object_set(h, "typ", typ);
    if (!fail && kid)
        fail |= json_object_set(h, "kid", kid);
    else if (!fail && jot_key_kid(key))
        fail |= json_object_set_new(h, "kid", json_string(jot_key_kid(key)));
    if (!fail)
        fail |= json_object_update_missing(h, b->header);
    char *header = fail ? NULL : jot__json_dump(h);
    char *claims = header ? jot__json_dump(b->claims) : NULL;
    json_decref(h);
    if (!claims) {
        free(header);
        return JOT_E_NOMEM;
    }
    s = jot__jws_compose(key, alg, header, strlen(header), claims, strlen(claims), out);
    free(header);
    free(claims);
    return s;
}
