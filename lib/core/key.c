/* struct jot_key: allocation and reference counting, the curves, the
 * algorithms, and which key fits which algorithm; see core/key.h. */
#include <stdlib.h>
#include <string.h>

#include "core/key.h"

jot_key *jot__key_alloc(void)
{
    jot_key *k = calloc(1, sizeof *k);
    if (k)
        atomic_init(&k->refs, 1);
    return k;
}

jot_key *jot__key_ref(const jot_key *key)
{
    jot_key *k = (jot_key *)(uintptr_t)key;
    atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
    return k;
}

static const struct {
    jot__crv crv;
    const char *name;
    size_t len;
} jot_curves[] = {
    {JOT__CRV_P256, "P-256", 32},      {JOT__CRV_P384, "P-384", 48}, {JOT__CRV_P521, "P-521", 66},
    {JOT__CRV_ED25519, "Ed25519", 32}, {JOT__CRV_ED448, "Ed448", 57},
};

const char *jot__crv_name(jot__crv crv)
{
    for (size_t i = 0; i < sizeof jot_curves / sizeof jot_curves[0]; i++)
        if (jot_curves[i].crv == crv)
            return jot_curves[i].name;
    return NULL;
}

size_t jot__crv_len(jot__crv crv)
{
    for (size_t i = 0; i < sizeof jot_curves / sizeof jot_curves[0]; i++)
        if (jot_curves[i].crv == crv)
            return jot_curves[i].len;
    return 0;
}

jot__crv jot__crv_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof jot_curves / sizeof jot_curves[0]; i++)
        if (strcmp(jot_curves[i].name, name) == 0)
            return jot_curves[i].crv;
    return JOT__CRV_NONE;
}

/* ---- algorithms (RFC 7518 3.1, RFC 8037 3.1) -------------------------- */

static const struct {
    const char *name;
    jot_kty kty;
    size_t hash_len;
    jot__crv crv;
} jot_algs[JOT_ALG_MAX + 1] = {
    [JOT_HS256] = {"HS256", JOT_KTY_OCT, 32, JOT__CRV_NONE},
    [JOT_HS384] = {"HS384", JOT_KTY_OCT, 48, JOT__CRV_NONE},
    [JOT_HS512] = {"HS512", JOT_KTY_OCT, 64, JOT__CRV_NONE},
    [JOT_RS256] = {"RS256", JOT_KTY_RSA, 32, JOT__CRV_NONE},
    [JOT_RS384] = {"RS384", JOT_KTY_RSA, 48, JOT__CRV_NONE},
    [JOT_RS512] = {"RS512", JOT_KTY_RSA, 64, JOT__CRV_NONE},
    [JOT_PS256] = {"PS256", JOT_KTY_RSA, 32, JOT__CRV_NONE},
    [JOT_PS384] = {"PS384", JOT_KTY_RSA, 48, JOT__CRV_NONE},
    [JOT_PS512] = {"PS512", JOT_KTY_RSA, 64, JOT__CRV_NONE},
    [JOT_ES256] = {"ES256", JOT_KTY_EC, 32, JOT__CRV_P256},
    [JOT_ES384] = {"ES384", JOT_KTY_EC, 48, JOT__CRV_P384},
    [JOT_ES512] = {"ES512", JOT_KTY_EC, 64, JOT__CRV_P521},
    [JOT_EDDSA] = {"EdDSA", JOT_KTY_OKP, 0, JOT__CRV_NONE},
};

static int alg_valid(jot_alg alg)
{
    return alg > JOT_ALG_UNSET && alg <= JOT_ALG_MAX;
}

const char *jot_alg_name(jot_alg alg)
{
    return alg_valid(alg) ? jot_algs[alg].name : NULL;
}

jot_alg jot_alg_from_name(const char *name, size_t len)
{
    if (!name)
        return JOT_ALG_UNSET;
    for (int a = 1; a <= JOT_ALG_MAX; a++)
        if (strlen(jot_algs[a].name) == len && memcmp(jot_algs[a].name, name, len) == 0)
            return (jot_alg)a;
    return JOT_ALG_UNSET;
}

jot_kty jot__alg_kty(jot_alg alg)
{
    return alg_valid(alg) ? jot_algs[alg].kty : (jot_kty)0;
}

size_t jot__alg_hash_len(jot_alg alg)
{
    return alg_valid(alg) ? jot_algs[alg].hash_len : 0;
}

jot__crv jot__alg_crv(jot_alg alg)
{
    return alg_valid(alg) ? jot_algs[alg].crv : JOT__CRV_NONE;
}

/* ---- which key fits which algorithm ----------------------------------- */

jot_status jot__key_type_fits(const jot_key *key, jot_alg alg)
{
    jot_kty kty = jot__alg_kty(alg);
    if (!kty || key->kty != kty)
        return JOT_E_KEY_MISMATCH;
    switch (kty) {
    case JOT_KTY_OCT:
        /* RFC 7518 3.2: a key at least as long as the hash output. */
        return key->secret_len < jot__alg_hash_len(alg) ? JOT_E_WEAK_KEY : JOT_OK;
    case JOT_KTY_RSA:
        return key->bits < JOT__RSA_MIN_BITS ? JOT_E_WEAK_KEY : JOT_OK;
    case JOT_KTY_EC:
        return key->crv == jot__alg_crv(alg) ? JOT_OK : JOT_E_KEY_MISMATCH;
    case JOT_KTY_OKP:
        return key->crv == JOT__CRV_ED25519 || key->crv == JOT__CRV_ED448 ? JOT_OK : JOT_E_KEY_MISMATCH;
    }
    return JOT_E_KEY_MISMATCH;
}

jot_status jot_key_fits(const jot_key *key, jot_alg alg)
{
    if (!key)
        return JOT_E_ARG;
    if (key->flags & JOT__KEY_NOSIG)
        return JOT_E_KEY_MISMATCH;
    if (key->alg != JOT_ALG_UNSET && key->alg != alg)
        return JOT_E_KEY_MISMATCH;
    return jot__key_type_fits(key, alg);
}

unsigned jot_key_algs(const jot_key *key)
{
    unsigned mask = 0;
    for (int a = 1; a <= JOT_ALG_MAX; a++)
        if (jot_key_fits(key, (jot_alg)a) == JOT_OK)
            mask |= JOT_ALG_BIT(a);
    return mask;
}
