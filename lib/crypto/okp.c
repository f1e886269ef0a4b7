/*
 * lib/crypto/okp.c - Ed25519 and Ed448 keys from and to their JWK members
 * (RFC 8037 2).
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "crypto/internal.h"

static const char *okp_type(jot__crv crv)
{
    switch (crv) {
    case JOT__CRV_ED25519: return "ED25519";
    case JOT__CRV_ED448: return "ED448";
    default: return NULL;
    }
}

jot_status jot__okp_from(jot_key *k, jot__crv crv, jot__bytes x, jot__bytes d)
{
    /* RFC 8032 5.1.5 and 5.2.5: public keys are 32 and 57 octets, and so
     * are the private keys (the seeds). */
    const char *type = okp_type(crv);
    size_t len = jot__crv_len(crv);
    uint8_t derived[57];
    size_t dlen = sizeof derived;
    OSSL_PARAM params[2];
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    jot_status st = JOT_E_KEY;

    if (k == NULL)
        return JOT_E_ARG;
    if (type == NULL || x.p == NULL || x.n != len || (d.p != NULL && d.n != len))
        return JOT_E_KEY;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    /* With d, the public key is derived from it and must equal x (RFC 8037
     * 2: "x" is the public key of "d"): OpenSSL would keep a given public
     * key unchecked, so it is not handed over. */
    if (d.p != NULL)
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, d.p, d.n);
    else
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x.p, x.n);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, d.p != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto done;
    if (d.p != NULL) {
        if (EVP_PKEY_get_raw_public_key(pkey, derived, &dlen) != 1 || dlen != len ||
            CRYPTO_memcmp(derived, x.p, len) != 0)
            goto done;
    }
    st = jot__pkey_adopt(k, pkey, 1);
    pkey = NULL;
    if (st == JOT_OK && (d.p != NULL) != (k->priv != 0)) {
        /* Never expected: the private half went missing on the way. */
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        st = JOT_E_KEY;
    }
done:
    ERR_pop_to_mark();
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

static jot_status export_raw(const EVP_PKEY *pkey, int private, size_t len, jot__bytes *out)
{
    size_t n = len;
    jot_status st = jot__bytes_alloc(out, len);
    int ok;

    if (st != JOT_OK)
        return st;
    if (private)
        ok = EVP_PKEY_get_raw_private_key(pkey, out->p, &n);
    else
        ok = EVP_PKEY_get_raw_public_key(pkey, out->p, &n);
    if (ok != 1 || n != len) {
        jot__bytes_clear(out);
        return JOT_E_KEY;
    }
    return JOT_OK;
}

jot_status jot__okp_export(const jot_key *k, int private, jot__bytes *x, jot__bytes *d)
{
    size_t len;
    jot_status st;

    if (x == NULL || (private && d == NULL))
        return JOT_E_ARG;
    x->p = NULL;
    x->n = 0;
    if (d != NULL) {
        d->p = NULL;
        d->n = 0;
    }
    if (k == NULL)
        return JOT_E_ARG;
    len = jot__crv_len(k->crv);
    if (k->kty != JOT_KTY_OKP || k->pkey == NULL || len == 0)
        return JOT_E_KEY;
    ERR_set_mark();
    st = export_raw(k->pkey, 0, len, x);
    if (st == JOT_OK && private && k->priv)
        st = export_raw(k->pkey, 1, len, d);
    ERR_pop_to_mark();
    if (st != JOT_OK) {
        jot__bytes_clear(x);
        jot__bytes_clear(d);
    }
    return st;
}
