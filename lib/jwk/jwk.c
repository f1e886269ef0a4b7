/*
 * JWK import and export (RFC 7517 4, RFC 7518 6, RFC 8037 2) and RFC 7638
 * thumbprints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "jwk/jwk.h"

const char *const jot__jwk_private_members[] = {"d", "p", "q", "dp", "dq", "qi", "k", NULL};

/* Decode the base64url member name of jwk into b (owned by the caller).
 * JOT_E_NOT_FOUND when absent (and not required), JOT_E_KEY when not a
 * string, not strict base64url, or empty. */
static jot_status member_bytes(const json_t *jwk, const char *name, int required, jot__bytes *b)
{
    b->p = NULL;
    b->n = 0;
    json_t *m = jot__json_get(jwk, name);
    if (!m)
        return required ? JOT_E_KEY : JOT_E_NOT_FOUND;
    size_t len;
    const char *text = jot__json_str(m, &len);
    if (!text || len == 0)
        return JOT_E_KEY;
    b->p = malloc(JOT__B64_DEC_MAX(len));
    if (!b->p)
        return JOT_E_NOMEM;
    if (jot__b64url_decode(text, len, b->p, &b->n) != 0) {
        jot__bytes_clear(b);
        return JOT_E_KEY;
    }
    return JOT_OK;
}

static jot_status rsa_from_json(const json_t *jwk, jot_key *k)
{
    static const char *const names[JOT__RSA_COUNT] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    jot__bytes m[JOT__RSA_COUNT] = {{0}};
    jot_status s = JOT_OK;

    /* RFC 7518 6.3.2.7: multi-prime keys are not supported here. */
    if (jot__json_get(jwk, "oth"))
        return JOT_E_UNSUPPORTED;
    for (int i = 0; i < JOT__RSA_COUNT && s == JOT_OK; i++) {
        s = member_bytes(jwk, names[i], i <= JOT__RSA_E, &m[i]);
        if (s == JOT_E_NOT_FOUND)
            s = JOT_OK;
    }
    if (s == JOT_OK) {
        /* The CRT members come all together or not at all, and only with d. */
        int crt = 0;
        for (int i = JOT__RSA_P; i < JOT__RSA_COUNT; i++)
            crt += m[i].n != 0;
        if ((crt != 0 && crt != 5) || (crt && !m[JOT__RSA_D].n))
            s = JOT_E_KEY;
    }
    if (s == JOT_OK)
        s = jot__rsa_from(k, m);
    for (int i = 0; i < JOT__RSA_COUNT; i++)
        jot__bytes_clear(&m[i]);
    return s;
}

static jot_status crv_from_json(const json_t *jwk, jot__crv *crv)
{
    const char *c = jot__json_str(jot__json_get(jwk, "crv"), NULL);
    if (!c)
        return JOT_E_KEY;
    *crv = jot__crv_from_name(c);
    /* Curves libjot does not sign with (secp256k1, X25519, X448) are valid
     * JWKs that this library does not implement. */
    return *crv == JOT__CRV_NONE ? JOT_E_UNSUPPORTED : JOT_OK;
}

static jot_status ec_from_json(const json_t *jwk, jot_key *k)
{
    jot__crv crv = JOT__CRV_NONE;
    jot__bytes x = {0}, y = {0}, d = {0};
    jot_status s = crv_from_json(jwk, &crv);
    if (s == JOT_OK && (crv == JOT__CRV_ED25519 || crv == JOT__CRV_ED448))
        s = JOT_E_KEY;
    if (s == JOT_OK)
        s = member_bytes(jwk, "x", 1, &x);
    if (s == JOT_OK)
        s = member_bytes(jwk, "y", 1, &y);
    if (s == JOT_OK && (s = member_bytes(jwk, "d", 0, &d)) == JOT_E_NOT_FOUND)
        s = JOT_OK;
    /* RFC 7518 6.2.1.2, 6.2.2.1: coordinates and d have the full length. */
    size_t len = jot__crv_len(crv);
    if (s == JOT_OK && (x.n != len || y.n != len || (d.p && d.n != len)))
        s = JOT_E_KEY;
    if (s == JOT_OK)
        s = jot__ec_from(k, crv, x, y, d);
    jot__bytes_clear(&x);
    jot__bytes_clear(&y);
    jot__bytes_clear(&d);
    return s;
}

static jot_status okp_from_json(const json_t *jwk, jot_key *k)
{
    jot__crv crv = JOT__CRV_NONE;
    jot__bytes x = {0}, d = {0};
    jot_status s = crv_from_json(jwk, &crv);
    if (s == JOT_OK && crv != JOT__CRV_ED25519 && crv != JOT__CRV_ED448)
        s = JOT_E_KEY;
    if (s == JOT_OK)
        s = member_bytes(jwk, "x", 1, &x);
    if (s == JOT_OK && (s = member_bytes(jwk, "d", 0, &d)) == JOT_E_NOT_FOUND)
        s = JOT_OK;
    size_t len = jot__crv_len(crv);
    if (s == JOT_OK && (x.n != len || (d.p && d.n != len)))
        s = JOT_E_KEY;
    if (s == JOT_OK)
        s = jot__okp_from(k, crv, x, d);
    jot__bytes_clear(&x);
    jot__bytes_clear(&d);
    return s;
}

/* "use" and "key_ops" (RFC 7517 4.2, 4.3): a key meant for encryption is
 * never used to verify a signature. */
static jot_status usage_from_json(const json_t *jwk, unsigned *flags)
{
    json_t *use = jot__json_get(jwk, "use");
    json_t *ops = jot__json_get(jwk, "key_ops");
    if (use) {
        const char *u = jot__json_str(use, NULL);
        if (!u)
            return JOT_E_KEY;
        if (strcmp(u, "sig") != 0)
            *flags |= JOT__KEY_NOSIG;
    }
    if (ops) {
        json_t *op;
        int sig = 0;
        if (!jot__json_is_array(ops))
            return JOT_E_KEY;
        for (size_t i = 0; (op = jot__json_at(ops, i)) != NULL; i++) {
            const char *o = jot__json_str(op, NULL);
            if (!o)
                return JOT_E_KEY;
            if (strcmp(o, "sign") == 0 || strcmp(o, "verify") == 0)
                sig = 1;
        }
        if (!sig)
            *flags |= JOT__KEY_NOSIG;
    }
    return JOT_OK;
}

jot_status jot__key_from_json(json_t *jwk, jot_key **out)
{
    *out = NULL;
    if (!jot__json_is_object(jwk))
        return JOT_E_KEY;
    json_t *kid = jot__json_get(jwk, "kid"), *alg = jot__json_get(jwk, "alg");
    size_t alg_len = 0;
    const char *t = jot__json_str(jot__json_get(jwk, "kty"), NULL);
    const char *kid_s = jot__json_str(kid, NULL), *alg_s = jot__json_str(alg, &alg_len);
    if (!t || (kid && !kid_s) || (alg && !alg_s))
        return JOT_E_KEY;

    unsigned flags = 0;
    jot_status s = usage_from_json(jwk, &flags);
    if (s != JOT_OK)
        return s;
    jot_alg a = JOT_ALG_UNSET;
    if (alg) {
        a = jot_alg_from_name(alg_s, alg_len);
        if (a == JOT_ALG_UNSET)
            return JOT_E_UNSUPPORTED; /* e.g. an encryption algorithm */
    }

    jot_key *k;
    if (strcmp(t, "oct") == 0) {
        jot__bytes secret;
        s = member_bytes(jwk, "k", 1, &secret);
        if (s != JOT_OK)
            return s;
        s = jot_key_from_secret(secret.p, secret.n, &k);
        jot__bytes_clear(&secret);
        if (s != JOT_OK)
            return s;
    } else {
        k = jot__key_alloc();
        if (!k)
            return JOT_E_NOMEM;
        if (strcmp(t, "RSA") == 0)
            s = rsa_from_json(jwk, k);
        else if (strcmp(t, "EC") == 0)
            s = ec_from_json(jwk, k);
        else if (strcmp(t, "OKP") == 0)
            s = okp_from_json(jwk, k);
        else
            s = JOT_E_UNSUPPORTED;
        if (s != JOT_OK) {
            jot_key_free(k);
            return s;
        }
    }
    k->flags |= flags;
    if (kid)
        s = jot_key_set_kid(k, kid_s);
    /* An "alg" that the key cannot serve makes the JWK inconsistent. */
    if (s == JOT_OK && a != JOT_ALG_UNSET && jot_key_set_alg(k, a) != JOT_OK)
        s = JOT_E_KEY;
    if (s != JOT_OK) {
        jot_key_free(k);
        return s;
    }
    *out = k;
    return JOT_OK;
}

jot_status jot_key_from_jwk(const char *json, size_t len, jot_key **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!json)
        return JOT_E_ARG;
    json_t *jwk;
    if (jot__json_object(json, len, &jwk, NULL, "JWK") != JOT_OK)
        return JOT_E_KEY;
    jot_status s = jot__key_from_json(jwk, out);
    jot__json_wipe_members(jwk, jot__jwk_private_members);
    jot__json_free(jwk);
    return s;
}

/* ---- export ----------------------------------------------------------- */

/* Set obj[name] to the base64url of b; 0 on success. */
static int set_b64(json_t *obj, const char *name, const jot__bytes *b)
{
    char *s = jot__b64url_encode_str(b->p, b->n);
    if (!s)
        return -1;
    int r = jot__json_put_str(obj, name, s);
    jot_wipe(s, strlen(s));
    free(s);
    return r;
}

json_t *jot__key_to_json(const jot_key *key, unsigned flags, jot_status *status)
{
    static const char *const rsa_names[JOT__RSA_COUNT] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    int private = (flags & JOT_JWK_PRIVATE) != 0;
    jot__bytes m[JOT__RSA_COUNT] = {{0}};
    int fail = 0;
    json_t *o = jot__json_new(0);

    *status = JOT_OK;
    if (!o) {
        *status = JOT_E_NOMEM;
        return NULL;
    }
    switch (key->kty) {
    case JOT_KTY_OCT:
        if (!private) {
            *status = JOT_E_KEY;
            jot__json_free(o);
            return NULL;
        }
        fail |= jot__json_put_str(o, "kty", "oct");
        m[0].p = key->secret;
        m[0].n = key->secret_len;
        fail |= set_b64(o, "k", &m[0]);
        m[0].p = NULL;
        m[0].n = 0;
        break;
    case JOT_KTY_RSA:
        fail |= jot__json_put_str(o, "kty", "RSA");
        *status = jot__rsa_export(key, private, m);
        for (int i = 0; *status == JOT_OK && i < JOT__RSA_COUNT; i++)
            if (m[i].n)
                fail |= set_b64(o, rsa_names[i], &m[i]);
        break;
    case JOT_KTY_EC:
        fail |= jot__json_put_str(o, "kty", "EC");
        fail |= jot__json_put_str(o, "crv", jot__crv_name(key->crv));
        *status = jot__ec_export(key, private, &m[0], &m[1], &m[2]);
        if (*status == JOT_OK) {
            fail |= set_b64(o, "x", &m[0]);
            fail |= set_b64(o, "y", &m[1]);
            if (m[2].n)
                fail |= set_b64(o, "d", &m[2]);
        }
        break;
    case JOT_KTY_OKP:
        fail |= jot__json_put_str(o, "kty", "OKP");
        fail |= jot__json_put_str(o, "crv", jot__crv_name(key->crv));
        *status = jot__okp_export(key, private, &m[0], &m[1]);
        if (*status == JOT_OK) {
            fail |= set_b64(o, "x", &m[0]);
            if (m[1].n)
                fail |= set_b64(o, "d", &m[1]);
        }
        break;
    }
    for (int i = 0; i < JOT__RSA_COUNT; i++)
        jot__bytes_clear(&m[i]);
    if (key->kid)
        fail |= jot__json_put_str(o, "kid", key->kid);
    if (key->alg)
        fail |= jot__json_put_str(o, "alg", jot_alg_name(key->alg));
    if (*status == JOT_OK && fail)
        *status = JOT_E_NOMEM;
    if (*status != JOT_OK) {
        jot__json_wipe_members(o, jot__jwk_private_members);
        jot__json_free(o);
        return NULL;
    }
    return o;
}

jot_status jot_key_to_jwk(const jot_key *key, unsigned flags, char **out)
{
    if (!key || !out)
        return JOT_E_ARG;
    *out = NULL;
    if ((flags & JOT_JWK_PRIVATE) && !key->priv)
        return JOT_E_KEY;
    jot_status s;
    json_t *o = jot__key_to_json(key, flags, &s);
    if (!o)
        return s;
    *out = jot__json_dump(o);
    jot__json_wipe_members(o, jot__jwk_private_members);
    jot__json_free(o);
    return *out ? JOT_OK : JOT_E_NOMEM;
}

/* RFC 7638 3.2: the required members only, in lexicographic order, no white
 * space. Every value is base64url or a curve name, so none needs escaping. */
jot_status jot_key_thumbprint(const jot_key *key, char out[44])
{
    if (!key || !out)
        return JOT_E_ARG;
    jot_status s;
    json_t *o = jot__key_to_json(key, key->kty == JOT_KTY_OCT ? JOT_JWK_PRIVATE : JOT_JWK_PUBLIC, &s);
    if (!o)
        return s;
    const char *names[4];
    switch (key->kty) {
    case JOT_KTY_OCT: names[0] = "k", names[1] = "kty", names[2] = NULL; break;
    case JOT_KTY_RSA: names[0] = "e", names[1] = "kty", names[2] = "n", names[3] = NULL; break;
    case JOT_KTY_EC: names[0] = "crv", names[1] = "kty", names[2] = "x", names[3] = "y"; break;
    default: names[0] = "crv", names[1] = "kty", names[2] = "x", names[3] = NULL; break;
    }
    const char *values[4];
    size_t cap = 64, len = 0;
    for (int i = 0; i < 4 && names[i]; i++) {
        size_t vlen = 0;
        values[i] = jot__json_str(jot__json_get(o, names[i]), &vlen);
        cap += strlen(names[i]) + vlen + 8;
    }
    char *buf = malloc(cap);
    if (!buf) {
        jot__json_free(o);
        return JOT_E_NOMEM;
    }
    buf[len++] = '{';
    for (int i = 0; i < 4 && names[i]; i++) {
        int n = snprintf(buf + len, cap - len, "%s\"%s\":\"%s\"", i ? "," : "", names[i], values[i]);
        len += (size_t)n;
    }
    buf[len++] = '}';
    uint8_t digest[32];
    s = jot__sha256(buf, len, digest);
    jot_wipe(buf, len);
    free(buf);
    jot__json_wipe_members(o, jot__jwk_private_members);
    jot__json_free(o);
    if (s != JOT_OK)
        return s;
    jot__b64url_encode(digest, sizeof digest, out);
    out[43] = '\0';
    return JOT_OK;
}
