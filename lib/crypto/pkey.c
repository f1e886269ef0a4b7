/*
 * lib/crypto/pkey.c - what every asymmetric key goes through, whatever it
 * was read from: the check that it is a type libjot signs with, the
 * consistency checks of private keys, and its release.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include "crypto/internal.h"

/* The curve of an EC key, by the group name OpenSSL reports. Only named
 * curves are accepted (RFC 7518 6.2.1.1 knows no other). */
static jot__crv ec_curve(const EVP_PKEY *pkey)
{
    char name[64], enc[32];
    size_t len = 0;
    int nid;

    /* Explicit curve parameters are refused even when they spell out a
     * named curve: RFC 5480 2.1.1 forbids them in certificates, and
     * trusting them was CVE-2020-0601. */
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof enc, NULL) == 1 &&
        strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
        return JOT__CRV_NONE;
    if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &len) != 1 || len == 0 || len >= sizeof name)
        return JOT__CRV_NONE;
    nid = OBJ_sn2nid(name);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(name);
    switch (nid) {
    case NID_X9_62_prime256v1: return JOT__CRV_P256;
    case NID_secp384r1: return JOT__CRV_P384;
    case NID_secp521r1: return JOT__CRV_P521;
    default: return JOT__CRV_NONE;
    }
}

/*
 * ROCA (CVE-2017-15361): Infineon's RSALib made primes p = k M + (65537^a
 * mod M), with M the product of the first primes (39 of them at least, up to
 * 167), so that n mod r lies in the subgroup that 65537 generates modulo each
 * such prime r. The fingerprint test of Nemec et al. (ACM CCS 2017) checks
 * exactly that; a random modulus has it with negligible probability, and a
 * key that has it can be factored.
 */
static int rsa_is_roca(const BIGNUM *n)
{
    static const unsigned char primes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                                           47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                                           107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

    for (size_t i = 0; i < sizeof primes; i++) {
        BN_ULONG r = primes[i];
        BN_ULONG m = BN_mod_word(n, r);
        BN_ULONG g = 65537 % r, x = 1;
        int member = 0;

        if (m == (BN_ULONG)-1)
            return 0;
        /* Walk the powers of 65537 modulo r; the cycle is at most r - 1. */
        for (BN_ULONG j = 0; j < r && !member; j++) {
            member = x == m;
            x = x * g % r;
        }
        if (!member)
            return 0;
    }
    return 1;
}

/* RFC 7518 6.3.1: a public RSA key; libjot wants 2048 bits at least (RFC
 * 7518 3.3), an exponent that can be one (odd, above 1), and a modulus
 * without the ROCA fingerprint. */
static jot_status rsa_check_public(const EVP_PKEY *pkey, unsigned *bits)
{
    BIGNUM *n = NULL, *e = NULL;
    jot_status st = JOT_E_KEY;
    int nbits;

    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        goto done;
    nbits = BN_num_bits(n);
    if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0)
        goto done;
    if (nbits > JOT__RSA_MAX_BITS)
        goto done;
    if (nbits < JOT__RSA_MIN_BITS || rsa_is_roca(n)) {
        st = JOT_E_WEAK_KEY;
        goto done;
    }
    *bits = (unsigned)nbits;
    st = JOT_OK;
done:
    BN_free(n);
    BN_free(e);
    return st;
}

int jot__pkey_is_private(const EVP_PKEY *pkey)
{
    BIGNUM *bn = NULL;
    size_t len = 0;
    int ok = 0;

    ERR_set_mark();
    if (EVP_PKEY_is_a(pkey, "RSA"))
        ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &bn) == 1;
    else if (EVP_PKEY_is_a(pkey, "EC"))
        ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
    else if (EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448"))
        ok = EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0, &len) == 1 && len > 0;
    BN_clear_free(bn);
    ERR_pop_to_mark();
    return ok;
}

jot_status jot__pkey_adopt(jot_key *k, EVP_PKEY *pkey, int check)
{
    jot_kty kty;
    jot__crv crv = JOT__CRV_NONE;
    unsigned bits = 0;
    int priv;
    jot_status st = JOT_OK;

    if (k == NULL || pkey == NULL) {
        EVP_PKEY_free(pkey);
        return JOT_E_ARG;
    }
    ERR_set_mark();
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        /* An id-RSASSA-PSS key is another type ("RSA-PSS") and is refused
         * here: its parameters could contradict the JWS algorithm. */
        kty = JOT_KTY_RSA;
        st = rsa_check_public(pkey, &bits);
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        kty = JOT_KTY_EC;
        crv = ec_curve(pkey);
        bits = crv == JOT__CRV_P256 ? 256u : crv == JOT__CRV_P384 ? 384u : 521u;
        if (crv == JOT__CRV_NONE)
            st = JOT_E_KEY;
    } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
        kty = JOT_KTY_OKP;
        crv = JOT__CRV_ED25519;
        bits = 256;
    } else if (EVP_PKEY_is_a(pkey, "ED448")) {
        kty = JOT_KTY_OKP;
        crv = JOT__CRV_ED448;
        bits = 448;
    } else {
        kty = JOT_KTY_OCT;
        st = JOT_E_KEY;
    }
    ERR_pop_to_mark();
    priv = st == JOT_OK && jot__pkey_is_private(pkey);
    if (st == JOT_OK && check) {
        if (kty == JOT_KTY_RSA && priv)
            st = jot__rsa_check_private(pkey);
        else if (kty == JOT_KTY_EC)
            st = jot__ec_check(pkey, priv);
    }
    if (st != JOT_OK) {
        EVP_PKEY_free(pkey);
        return st;
    }
    jot__pkey_free(k);
    k->kty = kty;
    k->crv = crv;
    k->bits = bits;
    k->priv = priv;
    k->pkey = pkey;
    st = jot__sig_prepare(k);
    if (st != JOT_OK)
        jot__pkey_free(k);
    return st;
}

/* Read an RSA member; 1 when present. */
static int rsa_get(const EVP_PKEY *pkey, const char *name, BIGNUM **out)
{
    if (EVP_PKEY_get_bn_param(pkey, name, out) != 1) {
        *out = NULL;
        return 0;
    }
    BN_set_flags(*out, BN_FLG_CONSTTIME);
    return 1;
}

jot_status jot__rsa_check_private(const EVP_PKEY *pkey)
{
    BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL, *dp = NULL, *dq = NULL, *qi = NULL;
    BIGNUM *t, *u, *x;
    BN_CTX *ctx = BN_CTX_secure_new();
    jot_status st = JOT_E_KEY;
    int nf;

    if (ctx == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    BN_CTX_start(ctx);
    t = BN_CTX_get(ctx);
    u = BN_CTX_get(ctx);
    x = BN_CTX_get(ctx);
    if (x == NULL) {
        st = JOT_E_NOMEM;
        goto done;
    }
    if (!rsa_get(pkey, OSSL_PKEY_PARAM_RSA_N, &n) || !rsa_get(pkey, OSSL_PKEY_PARAM_RSA_E, &e) ||
        !rsa_get(pkey, OSSL_PKEY_PARAM_RSA_D, &d))
        goto done;
    nf = rsa_get(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) + rsa_get(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) +
         rsa_get(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, &dp) + rsa_get(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, &dq) +
         rsa_get(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &qi);
    if (BN_is_zero(d) || BN_is_one(d) || BN_cmp(d, n) >= 0)
        goto done;
    if (nf == 5) {
        /* RFC 8017 3.2: n = p q, dP = d mod (p - 1), dQ = d mod (q - 1),
         * q qInv = 1 mod p; and e d = 1 modulo both p - 1 and q - 1, which
         * is what makes d an inverse of e modulo lambda(n). */
        if (BN_cmp(p, BN_value_one()) <= 0 || BN_cmp(q, BN_value_one()) <= 0)
            goto done;
        if (!BN_mul(t, p, q, ctx) || BN_cmp(t, n) != 0)
            goto done;
        if (!BN_sub(t, p, BN_value_one()) || !BN_mod(u, d, t, ctx) || BN_cmp(u, dp) != 0)
            goto done;
        if (!BN_mod_mul(u, d, e, t, ctx) || !BN_is_one(u))
            goto done;
        if (!BN_sub(t, q, BN_value_one()) || !BN_mod(u, d, t, ctx) || BN_cmp(u, dq) != 0)
            goto done;
        if (!BN_mod_mul(u, d, e, t, ctx) || !BN_is_one(u))
            goto done;
        if (!BN_mod_mul(u, qi, q, p, ctx) || !BN_is_one(u))
            goto done;
    } else if (nf == 0) {
        /* Without the factors nothing but a round trip shows that d undoes
         * e: (x^d)^e must give x back for a random x. */
        if (!BN_rand_range(x, n) || !BN_mod_exp_mont_consttime(t, x, d, n, ctx, NULL) ||
            !BN_mod_exp(u, t, e, n, ctx) || BN_cmp(u, x) != 0)
            goto done;
    } else {
        goto done;
    }
    st = JOT_OK;
done:
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    BN_clear_free(p);
    BN_clear_free(q);
    BN_clear_free(dp);
    BN_clear_free(dq);
    BN_clear_free(qi);
    ERR_pop_to_mark();
    return st;
}

jot_status jot__ec_check(EVP_PKEY *pkey, int priv)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok;

    if (ctx == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    /* SEC 1 3.2.2.1 (full public key validation) and, for a private key,
     * 1 <= d <= n - 1 and d G = Q. */
    ok = EVP_PKEY_public_check(ctx) == 1;
    if (ok && priv)
        ok = EVP_PKEY_private_check(ctx) == 1 && EVP_PKEY_pairwise_check(ctx) == 1;
    ERR_pop_to_mark();
    EVP_PKEY_CTX_free(ctx);
    return ok ? JOT_OK : JOT_E_KEY;
}

size_t jot__sig_len(const jot_key *k, jot_alg alg)
{
    int size;

    if (k == NULL || jot__alg_kty(alg) != k->kty)
        return 0;
    switch (k->kty) {
    case JOT_KTY_OCT:
        return jot__alg_hash_len(alg);
    case JOT_KTY_RSA:
        if (k->pkey == NULL)
            return 0;
        size = EVP_PKEY_get_size((const EVP_PKEY *)k->pkey);
        return size > 0 ? (size_t)size : 0;
    case JOT_KTY_EC:
        /* RFC 7518 3.4: R and S, each the coordinate length. */
        return 2 * jot__crv_len(k->crv);
    case JOT_KTY_OKP:
        /* RFC 8032 5.1.6 and 5.2.6. */
        return k->crv == JOT__CRV_ED25519 ? 64u : k->crv == JOT__CRV_ED448 ? 114u : 0u;
    }
    return 0;
}

void jot__pkey_free(jot_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    k->pkey = NULL;
    jot__prep_free(k->prep);
    k->prep = NULL;
}
