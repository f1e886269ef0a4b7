/* Keys: construction, properties, export to PEM; see jot/jwk.h (which key
 * fits which algorithm is in core/key.c). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "jwk/jwk.h"

/* RFC 7518 3.2: an HMAC key must be at least as long as the hash output. */
#define JOT_HMAC_MIN 32u

jot_status jot_key_from_pem(const char *pem, size_t len, jot_key **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!pem || len == 0)
        return JOT_E_ARG;
    jot_key *k = jot__key_alloc();
    if (!k)
        return JOT_E_NOMEM;
    jot_status s = jot__pem_load(k, pem, len);
    if (s != JOT_OK) {
        jot_key_free(k);
        return s;
    }
    *out = k;
    return JOT_OK;
}

jot_status jot_key_from_secret(const void *bytes, size_t len, jot_key **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!bytes && len)
        return JOT_E_ARG;
    if (len < JOT_HMAC_MIN)
        return JOT_E_WEAK_KEY;
    jot_key *k = jot__key_alloc();
    if (!k)
        return JOT_E_NOMEM;
    k->kty = JOT_KTY_OCT;
    k->priv = 1;
    k->secret = malloc(len);
    if (!k->secret) {
        jot_key_free(k);
        return JOT_E_NOMEM;
    }
    memcpy(k->secret, bytes, len);
    k->secret_len = len;
    k->bits = (unsigned)(len * 8u);
    jot_status s = jot__hmac_prepare(k);
    if (s != JOT_OK) {
        jot_key_free(k);
        return s;
    }
    *out = k;
    return JOT_OK;
}

jot_status jot_key_generate(jot_alg alg, unsigned bits, jot_key **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    jot_kty kty = jot__alg_kty(alg);
    if (!kty)
        return JOT_E_ARG;
    jot_status s;
    jot_key *k;
    if (kty == JOT_KTY_OCT) {
        uint8_t secret[64];
        size_t n = jot__alg_hash_len(alg);
        s = jot__random(secret, n);
        if (s == JOT_OK)
            s = jot_key_from_secret(secret, n, &k);
        jot_wipe(secret, sizeof secret);
        if (s != JOT_OK)
            return s;
    } else {
        k = jot__key_alloc();
        if (!k)
            return JOT_E_NOMEM;
        s = jot__pkey_generate(k, alg, bits);
        if (s != JOT_OK) {
            jot_key_free(k);
            return s;
        }
    }
    k->alg = alg;
    *out = k;
    return JOT_OK;
}

void jot_key_free(jot_key *k)
{
    if (!k || atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
        return;
    jot__pkey_free(k);
    if (k->secret) {
        jot_wipe(k->secret, k->secret_len);
        free(k->secret);
    }
    free(k->kid);
    free(k);
}

jot_kty jot_key_type(const jot_key *key)
{
    return key ? key->kty : (jot_kty)0;
}

const char *jot_key_curve(const jot_key *key)
{
    return key ? jot__crv_name(key->crv) : NULL;
}

unsigned jot_key_bits(const jot_key *key)
{
    return key ? key->bits : 0;
}

int jot_key_is_private(const jot_key *key)
{
    return key ? key->priv : 0;
}

const char *jot_key_kid(const jot_key *key)
{
    return key ? key->kid : NULL;
}

jot_alg jot_key_alg(const jot_key *key)
{
    return key ? key->alg : JOT_ALG_UNSET;
}

jot_status jot_key_set_kid(jot_key *key, const char *kid)
{
    if (!key)
        return JOT_E_ARG;
    char *copy = NULL;
    if (kid && !(copy = jot__strdup(kid)))
        return JOT_E_NOMEM;
    free(key->kid);
    key->kid = copy;
    return JOT_OK;
}

jot_status jot_key_set_alg(jot_key *key, jot_alg alg)
{
    if (!key)
        return JOT_E_ARG;
    if (alg != JOT_ALG_UNSET) {
        jot_status s = jot__key_type_fits(key, alg);
        if (s != JOT_OK)
            return s;
    }
    key->alg = alg;
    return JOT_OK;
}

jot_status jot_key_to_pem(const jot_key *key, unsigned flags, char **out)
{
    if (!key || !out)
        return JOT_E_ARG;
    *out = NULL;
    if (key->kty == JOT_KTY_OCT)
        return JOT_E_UNSUPPORTED;
    int private = (flags & JOT_JWK_PRIVATE) != 0;
    if (private && !key->priv)
        return JOT_E_KEY;
    return jot__pkey_to_pem(key, private, out);
}
