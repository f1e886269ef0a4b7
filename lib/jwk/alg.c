/* The JWA signature algorithms (RFC 7518 3.1, RFC 8037 3.1). */
#include <string.h>

#include "jwk/jwk.h"

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
