/*
 * lib/crypto/rsa.c - RSA keys from and to their JWK members (RFC 7518 6.3).
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "crypto/internal.h"

/* OpenSSL's parameter names, in the order of the JOT__RSA_* members. */
static const char *const rsa_names[JOT__RSA_COUNT] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

jot_status jot__rsa_from(jot_key *k, const jot__bytes m[JOT__RSA_COUNT])
{
    BIGNUM *bn[JOT__RSA_COUNT] = {0};
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    jot_status st = JOT_E_KEY;
    int has_d, nf = 0, n_bits;

    if (k == NULL || m == NULL)
        return JOT_E_ARG;
    for (int i = 0; i < JOT__RSA_COUNT; i++) {
        if (m[i].n > 0 && m[i].p == NULL)
            return JOT_E_ARG;
        /* A bound on octets far above any accepted key, so that the lengths
         * below fit an int however many leading zeros come first. */
        if (m[i].n > (size_t)JOT__RSA_MAX_BITS)
            return JOT_E_KEY;
    }
    if (m[JOT__RSA_N].n == 0 || m[JOT__RSA_E].n == 0)
        return JOT_E_KEY;
    has_d = m[JOT__RSA_D].n > 0;
    for (int i = JOT__RSA_P; i < JOT__RSA_COUNT; i++)
        nf += m[i].n > 0;
    /* RFC 7518 6.3.2: the CRT members come all together, and only with d. */
    if ((nf != 0 && nf != 5) || (nf != 0 && !has_d))
        return JOT_E_KEY;

    ERR_set_mark();
    for (int i = 0; i < JOT__RSA_COUNT; i++) {
        if (m[i].n == 0)
            continue;
        /* Private members go to OpenSSL's secure heap, which
         * OSSL_PARAM_free wipes. */
        bn[i] = i >= JOT__RSA_D ? BN_secure_new() : BN_new();
        if (bn[i] == NULL || BN_bin2bn(m[i].p, (int)m[i].n, bn[i]) == NULL) {
            st = JOT_E_NOMEM;
            goto done;
        }
    }
    /* RFC 7518 6.3.1.1 asks for n without leading zero octets; they are
     * tolerated, and the size is that of the number. */
    n_bits = BN_num_bits(bn[JOT__RSA_N]);
    if (n_bits < JOT__RSA_MIN_BITS) {
        st = JOT_E_WEAK_KEY;
        goto done;
    }
    if (n_bits > JOT__RSA_MAX_BITS)
        goto done;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        st = JOT_E_NOMEM;
        goto done;
    }
    for (int i = 0; i < JOT__RSA_COUNT; i++) {
        if (bn[i] != NULL && OSSL_PARAM_BLD_push_BN(bld, rsa_names[i], bn[i]) != 1) {
            st = JOT_E_NOMEM;
            goto done;
        }
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (params == NULL || ctx == NULL) {
        st = JOT_E_NOMEM;
        goto done;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, has_d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto done;
    /* The exponent and size are checked by jot__pkey_adopt, the private
     * members' consistency by jot__rsa_check_private. */
    st = jot__pkey_adopt(k, pkey, 1);
    pkey = NULL;
    if (st == JOT_OK && has_d != (k->priv != 0)) {
        /* Never expected: the private half went missing on the way. */
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        st = JOT_E_KEY;
    }
done:
    ERR_pop_to_mark();
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    for (int i = 0; i < JOT__RSA_COUNT; i++)
        BN_clear_free(bn[i]);
    return st;
}

/* A member as minimal big-endian bytes (RFC 7518 6.3.1.1, 6.3.2): 1 when
 * stored, 0 when the key does not have it, -1 on failure. */
static int export_bn(const EVP_PKEY *pkey, const char *name, jot__bytes *out)
{
    BIGNUM *bn = NULL;
    int n, ok;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return 0;
    n = BN_num_bytes(bn);
    /* Zero, which no real member is, still takes one octet. */
    ok = jot__bytes_alloc(out, n > 0 ? (size_t)n : 1) == JOT_OK;
    if (ok) {
        if (n > 0)
            ok = BN_bn2bin(bn, out->p) == n;
        else
            out->p[0] = 0;
    }
    BN_clear_free(bn);
    if (!ok) {
        jot__bytes_clear(out);
        return -1;
    }
    return 1;
}

jot_status jot__rsa_export(const jot_key *k, int private, jot__bytes m[JOT__RSA_COUNT])
{
    jot_status st = JOT_OK;
    int last;

    if (m == NULL)
        return JOT_E_ARG;
    for (int i = 0; i < JOT__RSA_COUNT; i++) {
        m[i].p = NULL;
        m[i].n = 0;
    }
    if (k == NULL)
        return JOT_E_ARG;
    if (k->kty != JOT_KTY_RSA || k->pkey == NULL)
        return JOT_E_KEY;
    last = private && k->priv ? JOT__RSA_COUNT : JOT__RSA_D;
    ERR_set_mark();
    for (int i = 0; i < last && st == JOT_OK; i++) {
        int r = export_bn(k->pkey, rsa_names[i], &m[i]);
        if (r < 0)
            st = JOT_E_NOMEM;
        else if (r == 0 && i <= JOT__RSA_D)
            st = JOT_E_KEY;
    }
    ERR_pop_to_mark();
    if (st != JOT_OK) {
        for (int i = 0; i < JOT__RSA_COUNT; i++)
            jot__bytes_clear(&m[i]);
    }
    return st;
}
