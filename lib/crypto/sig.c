/*
 * lib/crypto/sig.c - the JWA signature layer (RFC 7518 3, RFC 8037 3.1):
 * jot__sig_sign and jot__sig_verify (crypto.h), and the public
 * jot_sig_sign and jot_sig_verify (jot/jws.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "crypto/internal.h"

/* Room for the longest DER ECDSA-Sig-Value (RFC 3279 2.2.3) of a supported
 * curve: P-521 gives two INTEGERs of up to 67 octets each, 141 in all. */
#define ECDSA_DER_MAX 160u

static int is_pss(jot_alg alg)
{
    return alg == JOT_PS256 || alg == JOT_PS384 || alg == JOT_PS512;
}

/*
 * Set up ctx to sign or verify with k under alg. RFC 7518 3.5: RSASSA-PSS
 * uses MGF1 with the same hash (OpenSSL's default) and a salt as long as
 * the hash. On verify, the "digest" salt length makes OpenSSL require exactly
 * that length, so a signature with another salt length is rejected.
 */
static int sig_init(EVP_MD_CTX *ctx, const jot_key *k, jot_alg alg, int sign)
{
    static char pad_pss[] = OSSL_PKEY_RSA_PAD_MODE_PSS;
    static char salt_digest[] = OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST;
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = NULL;
    int ok;

    if (alg != JOT_EDDSA) {
        md = jot__alg_md(alg);
        if (md == NULL)
            return 0;
    }
    if (sign)
        ok = EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey) == 1;
    else
        ok = EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey) == 1;
    if (ok && is_pss(alg)) {
        OSSL_PARAM params[3];
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, pad_pss, 0);
        params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, salt_digest, 0);
        params[2] = OSSL_PARAM_construct_end();
        ok = EVP_PKEY_CTX_set_params(pctx, params) == 1;
    }
    return ok;
}

/* One DER INTEGER (X.690 8.3) of a signature that OpenSSL made, as exactly
 * clen big-endian octets. */
static int der_read_integer(const uint8_t **p, const uint8_t *end, uint8_t *out, size_t clen)
{
    const uint8_t *v;
    size_t len;

    if (end - *p < 2 || (*p)[0] != 0x02 || (*p)[1] >= 0x80)
        return 0;
    len = (*p)[1];
    v = *p + 2;
    if (len == 0 || len > (size_t)(end - v))
        return 0;
    *p = v + len;
    while (len > 0 && v[0] == 0) {
        v++;
        len--;
    }
    if (len > clen)
        return 0;
    memset(out, 0, clen - len);
    memcpy(out + clen - len, v, len);
    return 1;
}

/* RFC 7518 3.4: the DER ECDSA-Sig-Value (RFC 3279 2.2.3) that OpenSSL
 * makes, as R || S, each big-endian in exactly clen octets. */
static int ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t *out, size_t clen)
{
    const uint8_t *p = der, *end = der + der_len;
    size_t len;

    if (der_len < 2 || p[0] != 0x30)
        return 0;
    if (p[1] < 0x80) {
        len = p[1];
        p += 2;
    } else if (p[1] == 0x81 && der_len >= 3) {
        len = p[2];
        p += 3;
    } else {
        return 0;
    }
    if (len != (size_t)(end - p))
        return 0;
    return der_read_integer(&p, end, out, clen) && der_read_integer(&p, end, out + clen, clen) && p == end;
}

/* A DER INTEGER (X.690 8.3) of the non-zero big-endian value v. */
static size_t der_integer(uint8_t *out, const uint8_t *v, size_t n)
{
    size_t pad;

    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    /* A set top bit would make the INTEGER negative. */
    pad = (v[0] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v, n);
    return 2 + pad + n;
}

/* RFC 7518 3.4 turned around: R || S as the DER ECDSA-Sig-Value that
 * OpenSSL verifies. Both halves are in [1, n - 1], so each INTEGER is at
 * most clen + 1 <= 67 octets long. */
static size_t ecdsa_raw_to_der(const uint8_t *sig, size_t clen, uint8_t *out)
{
    uint8_t body[2 * (3 + JOT__CRV_MAX)];
    size_t len = der_integer(body, sig, clen);
    size_t hdr;

    len += der_integer(body + len, sig + clen, clen);
    out[0] = 0x30;
    if (len < 0x80) {
        out[1] = (uint8_t)len;
        hdr = 2;
    } else {
        out[1] = 0x81;
        out[2] = (uint8_t)len;
        hdr = 3;
    }
    memcpy(out + hdr, body, len);
    return hdr + len;
}

/* 1 when the big-endian v of len octets is in [1, n - 1]. */
static int in_range(const uint8_t *v, const uint8_t *n, size_t len)
{
    size_t i = 0;

    while (i < len && v[i] == 0)
        i++;
    return i < len && memcmp(v, n, len) < 0;
}

static EVP_MD_CTX *make_template(const jot_key *k, jot_alg alg, int sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx != NULL && !sig_init(ctx, k, alg, sign)) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/*
 * Setting up a signature context costs OpenSSL 3 two method fetches, a
 * key-management look-up and several allocations: for ECDSA and EdDSA a
 * good part of the operation itself. So each key gets contexts set up once,
 * and every operation works on a copy of one (copying only reads it).
 */
jot_status jot__sig_prepare(jot_key *k)
{
    struct jot__prep *p;

    if (k == NULL || k->pkey == NULL)
        return JOT_E_ARG;
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    for (int a = 1; a <= JOT_ALG_MAX; a++) {
        if (jot__key_type_fits(k, (jot_alg)a) != JOT_OK)
            continue;
        p->verify[a] = make_template(k, (jot_alg)a, 0);
        if (k->priv)
            p->sign[a] = make_template(k, (jot_alg)a, 1);
    }
    ERR_pop_to_mark();
    jot__prep_free(k->prep);
    k->prep = p;
    return JOT_OK;
}

/* A context ready to sign or verify: a copy of the key's template, or one
 * set up now when there is none. NULL on failure. */
static EVP_MD_CTX *op_ctx(const jot_key *k, jot_alg alg, int sign)
{
    const struct jot__prep *p = k->prep;
    const EVP_MD_CTX *tmpl = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;

    if (ctx == NULL)
        return NULL;
    if (p != NULL && (int)alg >= 0 && (int)alg <= JOT_ALG_MAX)
        tmpl = sign ? p->sign[alg] : p->verify[alg];
    ok = tmpl != NULL ? EVP_MD_CTX_copy_ex(ctx, tmpl) == 1 : sig_init(ctx, k, alg, sign);
    if (!ok) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    /* Each context signs or verifies once: without this flag OpenSSL 3
     * copies the whole signature context again in the final step, so that
     * more data could follow (EVP_MD_CTX_set_flags(3)). */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    return ctx;
}

static jot_status pkey_sign(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, uint8_t *sig,
                            size_t *sig_len)
{
    size_t want = jot__sig_len(k, alg);
    uint8_t der[ECDSA_DER_MAX];
    size_t len;
    EVP_MD_CTX *ctx;
    jot_status st = JOT_E_CRYPTO;

    if (k->pkey == NULL || want == 0 || want > JOT_SIG_MAX)
        return JOT_E_KEY;
    ERR_set_mark();
    ctx = op_ctx(k, alg, 1);
    if (ctx == NULL)
        goto done;
    if (jot__alg_kty(alg) == JOT_KTY_EC) {
        len = sizeof der;
        if (EVP_DigestSign(ctx, der, &len, msg, msg_len) == 1 && ecdsa_der_to_raw(der, len, sig, want / 2))
            st = JOT_OK;
    } else {
        len = want;
        if (EVP_DigestSign(ctx, sig, &len, msg, msg_len) == 1 && len == want)
            st = JOT_OK;
    }
done:
    ERR_pop_to_mark();
    EVP_MD_CTX_free(ctx);
    if (st == JOT_OK)
        *sig_len = want;
    return st;
}

static jot_status pkey_verify(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, const uint8_t *sig,
                              size_t sig_len)
{
    uint8_t der[ECDSA_DER_MAX];
    EVP_MD_CTX *ctx;
    jot_status st;

    if (k->pkey == NULL)
        return JOT_E_KEY;
    if (jot__alg_kty(alg) == JOT_KTY_EC) {
        /* RFC 7518 3.4 and FIPS 186-4 6.4.2 step 1: r and s in [1, n - 1],
         * checked here so that no zero or oversized value ever reaches the
         * verifier (CVE-2022-21449). */
        size_t clen = sig_len / 2;
        const uint8_t *order = jot__ec_order(k->crv);
        if (order == NULL)
            return JOT_E_CRYPTO;
        if (!in_range(sig, order, clen) || !in_range(sig + clen, order, clen))
            return JOT_E_BAD_SIGNATURE;
        sig_len = ecdsa_raw_to_der(sig, clen, der);
        sig = der;
    }
    ERR_set_mark();
    ctx = op_ctx(k, alg, 0);
    if (ctx == NULL)
        st = JOT_E_CRYPTO;
    else if (EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1)
        st = JOT_OK;
    else
        st = JOT_E_BAD_SIGNATURE;
    ERR_pop_to_mark();
    EVP_MD_CTX_free(ctx);
    return st;
}

jot_status jot__sig_sign(const jot_key *key, jot_alg alg, const void *msg, size_t msg_len, uint8_t *sig,
                         size_t *sig_len)
{
    if (!key->priv)
        return JOT_E_KEY;
    if (jot__alg_kty(alg) == JOT_KTY_OCT)
        return jot__hmac_compute(key, alg, msg, msg_len, sig, sig_len);
    return pkey_sign(key, alg, msg, msg_len, sig, sig_len);
}

jot_status jot__sig_verify(const jot_key *key, jot_alg alg, const void *msg, size_t msg_len, const uint8_t *sig,
                           size_t sig_len)
{
    uint8_t mac[JOT__HASH_MAX];
    size_t mac_len = 0;
    jot_status st;

    /* Every JWS signature has one exact length (RFC 7518 3.2 to 3.5, RFC
     * 8037 3.1): a truncated MAC, an RSA signature shorter than the modulus
     * or an ECDSA signature in another encoding is refused here. */
    size_t want = jot__sig_len(key, alg);
    if (want == 0)
        return JOT_E_KEY_MISMATCH;
    if (sig_len != want)
        return JOT_E_BAD_SIGNATURE;
    if (jot__alg_kty(alg) != JOT_KTY_OCT)
        return pkey_verify(key, alg, msg, msg_len, sig, sig_len);
    /* RFC 7518 3.2: recompute and compare in constant time. */
    st = jot__hmac_compute(key, alg, msg, msg_len, mac, &mac_len);
    if (st == JOT_OK && (mac_len != sig_len || CRYPTO_memcmp(mac, sig, sig_len) != 0))
        st = JOT_E_BAD_SIGNATURE;
    OPENSSL_cleanse(mac, sizeof mac);
    return st;
}

/* The public entry points (see jot/jws.h) check their arguments and the
 * key's fit; the library's own callers have done both already. */
jot_status jot_sig_sign(const jot_key *key, jot_alg alg, const void *msg, size_t msg_len, uint8_t *sig,
                        size_t *sig_len)
{
    jot_status st;

    if (key == NULL || sig == NULL || sig_len == NULL || (msg == NULL && msg_len > 0))
        return JOT_E_ARG;
    st = jot_key_fits(key, alg);
    return st != JOT_OK ? st : jot__sig_sign(key, alg, msg != NULL ? msg : "", msg_len, sig, sig_len);
}

jot_status jot_sig_verify(const jot_key *key, jot_alg alg, const void *msg, size_t msg_len, const uint8_t *sig,
                          size_t sig_len)
{
    jot_status st;

    if (key == NULL || (msg == NULL && msg_len > 0) || (sig == NULL && sig_len > 0))
        return JOT_E_ARG;
    st = jot_key_fits(key, alg);
    return st != JOT_OK ? st : jot__sig_verify(key, alg, msg != NULL ? msg : "", msg_len, sig, sig_len);
}
