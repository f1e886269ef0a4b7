/* Key sets (RFC 7517 5); see jot/jwk.h. */
#include <stdlib.h>
#include <string.h>

#include "jwk/jwk.h"

struct jot_keyset {
    jot_key **keys;
    size_t n, cap;
};

jot_status jot_keyset_new(jot_keyset **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = calloc(1, sizeof **out);
    return *out ? JOT_OK : JOT_E_NOMEM;
}

void jot_keyset_free(jot_keyset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        jot_key_free(set->keys[i]);
    free(set->keys);
    free(set);
}

jot_status jot_keyset_add(jot_keyset *set, const jot_key *key)
{
    if (!set || !key)
        return JOT_E_ARG;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 4;
        jot_key **keys = realloc(set->keys, cap * sizeof *keys);
        if (!keys)
            return JOT_E_NOMEM;
        set->keys = keys;
        set->cap = cap;
    }
    set->keys[set->n++] = jot__key_ref(key);
    return JOT_OK;
}

size_t jot_keyset_count(const jot_keyset *set)
{
    return set ? set->n : 0;
}

const jot_key *jot_keyset_get(const jot_keyset *set, size_t i)
{
    return set && i < set->n ? set->keys[i] : NULL;
}

const jot_key *jot_keyset_find(const jot_keyset *set, const char *kid)
{
    if (!set || !kid)
        return NULL;
    for (size_t i = 0; i < set->n; i++)
        if (set->keys[i]->kid && strcmp(set->keys[i]->kid, kid) == 0)
            return set->keys[i];
    return NULL;
}

/* Add the keys of a parsed JWKS object to set. */
static jot_status keyset_add_jwks(jot_keyset *set, json_t *jwks)
{
    json_t *keys = jot__json_get(jwks, "keys");
    if (!jot__json_is_array(keys))
        return JOT_E_KEY;
    json_t *jwk;
    for (size_t i = 0; (jwk = jot__json_at(keys, i)) != NULL; i++) {
        jot_key *k;
        jot_status s = jot__key_from_json(jwk, &k);
        jot__json_wipe_members(jwk, jot__jwk_private_members);
        /* RFC 7517 5: keys of unknown types are ignored, not fatal. Keys
         * that are not for signatures have no place in a verifier. */
        if (s == JOT_E_UNSUPPORTED)
            continue;
        if (s != JOT_OK)
            return s;
        if (k->flags & JOT__KEY_NOSIG) {
            jot_key_free(k);
            continue;
        }
        s = jot_keyset_add(set, k);
        jot_key_free(k);
        if (s != JOT_OK)
            return s;
    }
    return set->n ? JOT_OK : JOT_E_KEY;
}

jot_status jot_keyset_from_jwks(const char *json, size_t len, jot_keyset **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!json)
        return JOT_E_ARG;
    json_t *jwks;
    if (jot__json_object(json, len, &jwks, NULL, "JWKS") != JOT_OK)
        return JOT_E_KEY;
    jot_keyset *set;
    jot_status s = jot_keyset_new(&set);
    if (s == JOT_OK)
        s = keyset_add_jwks(set, jwks);
    jot__json_free(jwks);
    if (s != JOT_OK) {
        jot_keyset_free(set);
        return s;
    }
    *out = set;
    return JOT_OK;
}

jot_status jot_keyset_load(const char *data, size_t len, jot_keyset **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!data)
        return JOT_E_ARG;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    jot_keyset *set;
    jot_status s = jot_keyset_new(&set);
    if (s != JOT_OK)
        return s;
    jot_key *k = NULL;
    if (i < len && data[i] == '{') {
        json_t *o;
        if (jot__json_object(data, len, &o, NULL, "key") != JOT_OK) {
            s = JOT_E_KEY;
        } else {
            if (jot__json_get(o, "keys"))
                s = keyset_add_jwks(set, o);
            else if ((s = jot__key_from_json(o, &k)) == JOT_OK)
                s = jot_keyset_add(set, k);
            jot__json_wipe_members(o, jot__jwk_private_members);
            jot__json_free(o);
        }
    } else {
        s = jot_key_from_pem(data, len, &k);
        if (s == JOT_OK)
            s = jot_keyset_add(set, k);
    }
    jot_key_free(k);
    if (s != JOT_OK) {
        jot_keyset_free(set);
        return s;
    }
    *out = set;
    return JOT_OK;
}

jot_status jot_keyset_to_jwks(const jot_keyset *set, unsigned flags, char **out)
{
    if (!set || !out)
        return JOT_E_ARG;
    *out = NULL;
    json_t *keys = jot__json_new(1);
    json_t *root = jot__json_new(0);
    if (jot__json_put(root, "keys", keys) != 0) {
        jot__json_free(root);
        return JOT_E_NOMEM;
    }
    jot_status s = JOT_OK;
    for (size_t j = 0; j < set->n && s == JOT_OK; j++) {
        const jot_key *k = set->keys[j];
        if (!(flags & JOT_JWK_PRIVATE) && k->kty == JOT_KTY_OCT)
            continue;
        unsigned f = (flags & JOT_JWK_PRIVATE) && k->priv ? JOT_JWK_PRIVATE : JOT_JWK_PUBLIC;
        json_t *jwk = jot__key_to_json(k, f, &s);
        if (jwk && jot__json_put(keys, NULL, jwk) != 0)
            s = JOT_E_NOMEM;
    }
    if (s == JOT_OK && !(*out = jot__json_dump(root)))
        s = JOT_E_NOMEM;
    json_t *k;
    for (size_t i = 0; (k = jot__json_at(keys, i)) != NULL; i++)
        jot__json_wipe_members(k, jot__jwk_private_members);
    jot__json_free(root);
    return s;
}
