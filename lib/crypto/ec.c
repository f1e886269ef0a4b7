/*
 * lib/crypto/ec.c - EC keys from and to their JWK members (RFC 7518 6.2).
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "crypto/internal.h"

static const char *group_name(jot__crv crv)
{
    switch (crv) {
    case JOT__CRV_P256: return "prime256v1";
    case JOT__CRV_P384: return "secp384r1";
    case JOT__CRV_P521: return "secp521r1";
    default: return NULL;
    }
}

/* 1 when the big-endian v of len octets is in [1, n - 1]. */
static int scalar_in_range(const uint8_t *v, const uint8_t *n, size_t len)
{
    uint8_t any = 0;

    for (size_t i = 0; i < len; i++)
        any |= v[i];
    return any != 0 && memcmp(v, n, len) < 0;
}

jot_status jot__ec_from(jot_key *k, jot__crv crv, jot__bytes x, jot__bytes y, jot__bytes d)
{
    const char *group = group_name(crv);
    size_t clen = jot__crv_len(crv);
    const uint8_t *order;
    uint8_t pub[1 + 2 * JOT__CRV_MAX];
    BIGNUM *priv = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    jot_status st = JOT_E_KEY;

    if (k == NULL)
        return JOT_E_ARG;
    if (group == NULL || clen == 0 || clen > JOT__CRV_MAX)
        return JOT_E_KEY;
    /* RFC 7518 6.2.1.2, 6.2.1.3, 6.2.2.1: x, y and d are each exactly the
     * coordinate length, leading zeros included. */
    if (x.p == NULL || y.p == NULL || x.n != clen || y.n != clen)
        return JOT_E_KEY;
    if (d.p != NULL && d.n != clen)
        return JOT_E_KEY;
    if (d.p != NULL) {
        order = jot__ec_order(crv);
        if (order == NULL)
            return JOT_E_CRYPTO;
        if (!scalar_in_range(d.p, order, clen))
            return JOT_E_KEY;
    }
    /* SEC 1 2.3.3: the uncompressed point 04 || X || Y. */
    pub[0] = 0x04;
    memcpy(pub + 1, x.p, clen);
    memcpy(pub + 1 + clen, y.p, clen);

    ERR_set_mark();
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL)
        goto nomem;
    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * clen) != 1)
        goto nomem;
    if (d.p != NULL) {
        priv = BN_secure_new();
        if (priv == NULL || BN_bin2bn(d.p, (int)d.n, priv) == NULL ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)
            goto nomem;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params == NULL || ctx == NULL)
        goto nomem;
    /* An X or Y that is not below p, or a point not on the curve, fails
     * here already; jot__pkey_adopt validates the key in full. */
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, d.p != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto done;
    st = jot__pkey_adopt(k, pkey, 1);
    pkey = NULL;
    if (st == JOT_OK && (d.p != NULL) != (k->priv != 0)) {
        /* Never expected: the private half went missing on the way. */
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        st = JOT_E_KEY;
    }
    goto done;
nomem:
    st = JOT_E_NOMEM;
done:
    ERR_pop_to_mark();
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    return st;
}

/* A coordinate or scalar as exactly len big-endian octets. */
static jot_status export_fixed(const EVP_PKEY *pkey, const char *name, size_t len, jot__bytes *out)
{
    BIGNUM *bn = NULL;
    jot_status st;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return JOT_E_KEY;
    st = jot__bytes_alloc(out, len);
    if (st == JOT_OK && BN_bn2binpad(bn, out->p, (int)len) != (int)len) {
        jot__bytes_clear(out);
        st = JOT_E_KEY;
    }
    BN_clear_free(bn);
    return st;
}

jot_status jot__ec_export(const jot_key *k, int private, jot__bytes *x, jot__bytes *y, jot__bytes *d)
{
    size_t clen;
    jot_status st;

    if (x == NULL || y == NULL || (private && d == NULL))
        return JOT_E_ARG;
    x->p = y->p = NULL;
    x->n = y->n = 0;
    if (d != NULL) {
        d->p = NULL;
        d->n = 0;
    }
    if (k == NULL)
        return JOT_E_ARG;
    clen = jot__crv_len(k->crv);
    if (k->kty != JOT_KTY_EC || k->pkey == NULL || clen == 0 || clen > JOT__CRV_MAX)
        return JOT_E_KEY;
    ERR_set_mark();
    /* RFC 7518 6.2.1.2 and 6.2.1.3: the affine coordinates, whatever form
     * the point was read in. */
    st = export_fixed(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, clen, x);
    if (st == JOT_OK)
        st = export_fixed(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, clen, y);
    if (st == JOT_OK && private && k->priv)
        st = export_fixed(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, clen, d);
    ERR_pop_to_mark();
    if (st != JOT_OK) {
        jot__bytes_clear(x);
        jot__bytes_clear(y);
        jot__bytes_clear(d);
    }
    return st;
}
