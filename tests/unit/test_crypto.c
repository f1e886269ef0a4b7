/*
 * lib/crypto: sign/verify round trips for every algorithm, the encodings
 * that must be refused (ECDSA r/s out of range, DER, wrong lengths, PSS salt
 * lengths), PEM of every kind (vectors/pem/), the strict JWK member checks
 * of jot__rsa_from / jot__ec_from / jot__okp_from, and the HMAC state used
 * from several threads at once.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <jot/jot.h>

#include "core/key.h"
#include "crypto/crypto.h"
#include "crypto/internal.h"

static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJqb3QifQ";

/* ---- helpers ---- */

static char *read_text(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "vectors/pem/%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *buf = malloc(65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static jot_status load_pem(const char *name, jot_key **out)
{
    size_t len;
    char *text = read_text(name, &len);
    jot_status st = jot_key_from_pem(text, len, out);
    free(text);
    return st;
}

static jot_key *pem_key(const char *name)
{
    jot_key *k = NULL;
    jot_status st = load_pem(name, &k);
    if (st != JOT_OK)
        fail_msg("%s: %s", name, jot_strerror(st));
    return k;
}

/* The public half of k, through SPKI PEM. */
static jot_key *public_of(const jot_key *k)
{
    char *pem = NULL;
    jot_key *pub = NULL;
    assert_int_equal(jot__pkey_to_pem(k, 0, &pem), JOT_OK);
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    assert_int_equal(jot_key_from_pem(pem, strlen(pem), &pub), JOT_OK);
    free(pem);
    assert_int_equal(jot_key_is_private(pub), 0);
    return pub;
}

static void sign_ok(const jot_key *k, jot_alg alg, const void *m, size_t n, uint8_t *sig, size_t *len)
{
    jot_status st = jot_sig_sign(k, alg, m, n, sig, len);
    if (st != JOT_OK)
        fail_msg("sign %s: %s", jot_alg_name(alg), jot_strerror(st));
}

/* ---- round trips ---- */

struct rt_case {
    jot_alg alg;
    unsigned bits;
    size_t sig_len;
    int deterministic;
};

static void roundtrip(const struct rt_case *c)
{
    jot_key *k = NULL;
    uint8_t sig[JOT_SIG_MAX], sig2[JOT_SIG_MAX], bad[JOT_SIG_MAX + 1];
    size_t len = 0, len2 = 0;
    const size_t mlen = sizeof msg - 1;

    assert_int_equal(jot_key_generate(c->alg, c->bits, &k), JOT_OK);
    assert_int_equal(jot_key_is_private(k), 1);
    assert_int_equal(jot__sig_len(k, c->alg), c->sig_len);

    sign_ok(k, c->alg, msg, mlen, sig, &len);
    assert_int_equal(len, c->sig_len);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, sig, len), JOT_OK);

    /* A changed bit in the signature or the message. */
    memcpy(bad, sig, len);
    bad[len - 1] ^= 0x01;
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    bad[len - 1] ^= 0x01;
    bad[0] ^= 0x80;
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen - 1, sig, len), JOT_E_BAD_SIGNATURE);

    /* Wrong lengths: truncated, one byte more, a leading zero, nothing. */
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, sig, len - 1), JOT_E_BAD_SIGNATURE);
    memcpy(bad, sig, len);
    bad[len] = 0;
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, bad, len + 1), JOT_E_BAD_SIGNATURE);
    bad[0] = 0;
    memcpy(bad + 1, sig, len);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, bad, len + 1), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, NULL, 0), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, sig, 0), JOT_E_BAD_SIGNATURE);

    /* The empty message. */
    sign_ok(k, c->alg, NULL, 0, sig2, &len2);
    assert_int_equal(jot_sig_verify(k, c->alg, NULL, 0, sig2, len2), JOT_OK);
    assert_int_equal(jot_sig_verify(k, c->alg, "", 0, sig2, len2), JOT_OK);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, sig2, len2), JOT_E_BAD_SIGNATURE);

    /* HMAC, RSASSA-PKCS1-v1_5 and EdDSA are deterministic; PSS and ECDSA
     * draw fresh randomness for each signature. */
    sign_ok(k, c->alg, msg, mlen, sig2, &len2);
    assert_int_equal(len2, len);
    assert_int_equal(memcmp(sig, sig2, len) == 0, c->deterministic);
    assert_int_equal(jot_sig_verify(k, c->alg, msg, mlen, sig2, len2), JOT_OK);

    if (jot_key_type(k) != JOT_KTY_OCT) {
        /* The public half verifies, and cannot sign. */
        jot_key *pub = public_of(k);
        assert_int_equal(jot_sig_verify(pub, c->alg, msg, mlen, sig, len), JOT_OK);
        assert_int_equal(jot_sig_sign(pub, c->alg, msg, mlen, sig2, &len2), JOT_E_KEY);
        assert_int_equal(jot_key_bits(pub), jot_key_bits(k));
        jot_key_free(pub);
    }
    jot_key_free(k);
}

static void test_roundtrip_hmac(void **state)
{
    (void)state;
    static const struct rt_case cases[] = {
        {JOT_HS256, 0, 32, 1}, {JOT_HS384, 0, 48, 1}, {JOT_HS512, 0, 64, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        roundtrip(&cases[i]);
}

static void test_roundtrip_rsa(void **state)
{
    (void)state;
    static const struct rt_case cases[] = {
        {JOT_RS256, 0, 256, 1},    {JOT_RS384, 2048, 256, 1}, {JOT_RS512, 3072, 384, 1},
        {JOT_PS256, 2048, 256, 0}, {JOT_PS384, 0, 256, 0},    {JOT_PS512, 2048, 256, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        roundtrip(&cases[i]);
}

static void test_roundtrip_ec(void **state)
{
    (void)state;
    static const struct rt_case cases[] = {
        {JOT_ES256, 0, 64, 0}, {JOT_ES384, 0, 96, 0}, {JOT_ES512, 0, 132, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        roundtrip(&cases[i]);
}

static void test_roundtrip_eddsa(void **state)
{
    (void)state;
    static const struct rt_case cases[] = {{JOT_EDDSA, 0, 64, 1}, {JOT_EDDSA, 448, 114, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        roundtrip(&cases[i]);
}

static void test_generate_kinds(void **state)
{
    (void)state;
    static const struct {
        jot_alg alg;
        unsigned bits;
        jot_kty kty;
        const char *crv;
        unsigned key_bits;
    } v[] = {
        {JOT_ES256, 0, JOT_KTY_EC, "P-256", 256},        {JOT_ES384, 0, JOT_KTY_EC, "P-384", 384},
        {JOT_ES512, 0, JOT_KTY_EC, "P-521", 521},        {JOT_EDDSA, 0, JOT_KTY_OKP, "Ed25519", 256},
        {JOT_EDDSA, 448, JOT_KTY_OKP, "Ed448", 448},     {JOT_RS256, 0, JOT_KTY_RSA, NULL, 2048},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        jot_key *k = NULL, *back = NULL;
        char *pem = NULL;
        assert_int_equal(jot_key_generate(v[i].alg, v[i].bits, &k), JOT_OK);
        assert_int_equal(jot_key_type(k), v[i].kty);
        if (v[i].crv)
            assert_string_equal(jot_key_curve(k), v[i].crv);
        assert_int_equal(jot_key_bits(k), v[i].key_bits);
        /* PKCS #8 out and back in gives the same key. */
        assert_int_equal(jot__pkey_to_pem(k, 1, &pem), JOT_OK);
        assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
        assert_int_equal(jot_key_from_pem(pem, strlen(pem), &back), JOT_OK);
        jot_wipe(pem, strlen(pem));
        free(pem);
        assert_int_equal(jot_key_is_private(back), 1);
        assert_int_equal(jot_key_bits(back), v[i].key_bits);
        uint8_t sig[JOT_SIG_MAX];
        size_t len;
        sign_ok(back, v[i].alg, msg, sizeof msg - 1, sig, &len);
        assert_int_equal(jot_sig_verify(k, v[i].alg, msg, sizeof msg - 1, sig, len), JOT_OK);
        jot_key_free(back);
        jot_key_free(k);
    }
    /* HMAC secrets are lib/jwk's; only the asymmetric kinds are generated
     * here. */
    jot_key *k = jot__key_alloc();
    assert_non_null(k);
    assert_int_equal(jot__pkey_generate(k, JOT_HS256, 0), JOT_E_ARG);
    assert_int_equal(jot__pkey_generate(k, JOT_RS256, 1024), JOT_E_WEAK_KEY);
    assert_null(k->pkey);
    jot_key_free(k);
}

/* ---- key and algorithm fit, arguments ---- */

static void test_mismatch_and_args(void **state)
{
    (void)state;
    jot_key *ec = pem_key("p256_spki.pem");
    jot_key *rsa = pem_key("rsa2048_spki.pem");
    jot_key *ed = pem_key("ed25519_spki.pem");
    jot_key *hm = NULL;
    uint8_t secret[64] = {1, 2, 3};
    uint8_t sig[JOT_SIG_MAX];
    size_t len = 0;

    assert_int_equal(jot_key_from_secret(secret, sizeof secret, &hm), JOT_OK);
    assert_int_equal(jot_sig_verify(ec, JOT_ES384, msg, 4, sig, 96), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(ec, JOT_RS256, msg, 4, sig, 256), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(ec, JOT_EDDSA, msg, 4, sig, 64), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(rsa, JOT_HS256, msg, 4, sig, 32), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(rsa, JOT_ES256, msg, 4, sig, 64), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(ed, JOT_ES256, msg, 4, sig, 64), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(hm, JOT_RS256, msg, 4, sig, 256), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_verify(hm, JOT_ALG_UNSET, msg, 4, sig, 32), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_sign(hm, JOT_ES256, msg, 4, sig, &len), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_sig_sign(hm, (jot_alg)99, msg, 4, sig, &len), JOT_E_KEY_MISMATCH);
    /* Public keys do not sign. */
    assert_int_equal(jot_sig_sign(ec, JOT_ES256, msg, 4, sig, &len), JOT_E_KEY);
    assert_int_equal(jot_sig_sign(rsa, JOT_PS256, msg, 4, sig, &len), JOT_E_KEY);
    assert_int_equal(jot_sig_sign(ed, JOT_EDDSA, msg, 4, sig, &len), JOT_E_KEY);
    /* Arguments. */
    assert_int_equal(jot_sig_verify(NULL, JOT_HS256, msg, 4, sig, 32), JOT_E_ARG);
    assert_int_equal(jot_sig_verify(hm, JOT_HS256, NULL, 4, sig, 32), JOT_E_ARG);
    assert_int_equal(jot_sig_verify(hm, JOT_HS256, msg, 4, NULL, 32), JOT_E_ARG);
    assert_int_equal(jot_sig_sign(NULL, JOT_HS256, msg, 4, sig, &len), JOT_E_ARG);
    assert_int_equal(jot_sig_sign(hm, JOT_HS256, msg, 4, NULL, &len), JOT_E_ARG);
    assert_int_equal(jot_sig_sign(hm, JOT_HS256, msg, 4, sig, NULL), JOT_E_ARG);
    assert_int_equal(jot_sig_sign(hm, JOT_HS256, NULL, 4, sig, &len), JOT_E_ARG);
    /* No signature at all, for every kind of key. */
    assert_int_equal(jot_sig_verify(hm, JOT_HS512, msg, 4, NULL, 0), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(rsa, JOT_RS256, msg, 4, NULL, 0), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(rsa, JOT_PS512, msg, 4, NULL, 0), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(ec, JOT_ES256, msg, 4, NULL, 0), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(ed, JOT_EDDSA, msg, 4, NULL, 0), JOT_E_BAD_SIGNATURE);
    /* Lengths of the key types. */
    assert_int_equal(jot__sig_len(hm, JOT_HS384), 48);
    assert_int_equal(jot__sig_len(rsa, JOT_PS384), 256);
    assert_int_equal(jot__sig_len(ec, JOT_ES256), 64);
    assert_int_equal(jot__sig_len(ed, JOT_EDDSA), 64);
    assert_int_equal(jot__sig_len(ed, JOT_ES256), 0);
    assert_int_equal(jot__sig_len(NULL, JOT_ES256), 0);
    jot_key_free(ec);
    jot_key_free(rsa);
    jot_key_free(ed);
    jot_key_free(hm);
}

static void test_unprepared_key(void **state)
{
    (void)state;
    /* Without its prepared contexts, a key still signs and verifies (each
     * operation then sets up its own), and both paths agree. */
    static const struct {
        const char *file;
        jot_alg alg;
    } v[] = {{"rsa2048_pkcs8.pem", JOT_PS384}, {"rsa2048_pkcs8.pem", JOT_RS256}, {"p384_pkcs8.pem", JOT_ES384},
             {"ed448_pkcs8.pem", JOT_EDDSA}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        jot_key *k = pem_key(v[i].file);
        uint8_t a[JOT_SIG_MAX], b[JOT_SIG_MAX];
        size_t alen, blen;
        struct jot__prep *prep = k->prep;
        assert_non_null(prep);
        assert_non_null(prep->sign[v[i].alg]);
        assert_non_null(prep->verify[v[i].alg]);
        sign_ok(k, v[i].alg, msg, 10, a, &alen);
        k->prep = NULL;
        sign_ok(k, v[i].alg, msg, 10, b, &blen);
        assert_int_equal(jot_sig_verify(k, v[i].alg, msg, 10, a, alen), JOT_OK);
        assert_int_equal(jot_sig_verify(k, v[i].alg, msg, 11, a, alen), JOT_E_BAD_SIGNATURE);
        k->prep = prep;
        assert_int_equal(jot_sig_verify(k, v[i].alg, msg, 10, b, blen), JOT_OK);
        assert_int_equal(jot_sig_verify(k, v[i].alg, msg, 11, b, blen), JOT_E_BAD_SIGNATURE);
        jot_key_free(k);
    }
}

/* ---- ECDSA encodings ---- */

static void ecdsa_bad_encodings(const char *file, jot_alg alg, size_t clen)
{
    jot_key *k = pem_key(file);
    uint8_t sig[JOT_SIG_MAX], bad[JOT_SIG_MAX];
    size_t len;
    const size_t mlen = sizeof msg - 1;
    const uint8_t *n = jot__ec_order(k->crv);

    assert_non_null(n);
    sign_ok(k, alg, msg, mlen, sig, &len);
    assert_int_equal(len, 2 * clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, sig, len), JOT_OK);

    /* r = 0, s = 0, both (the "psychic signature", CVE-2022-21449). */
    memcpy(bad, sig, len);
    memset(bad, 0, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    memcpy(bad, sig, len);
    memset(bad + clen, 0, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    memset(bad, 0, len);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    /* r = n, s = n, r = s = n: zero modulo n. */
    memcpy(bad, sig, len);
    memcpy(bad, n, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    memcpy(bad, sig, len);
    memcpy(bad + clen, n, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    memcpy(bad, n, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    /* All ones: above n. */
    memcpy(bad, sig, len);
    memset(bad, 0xff, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    memcpy(bad, sig, len);
    memset(bad + clen, 0xff, clen);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);
    /* r = 1 and s = 1 are in range, and simply do not verify. */
    memset(bad, 0, len);
    bad[clen - 1] = 1;
    bad[len - 1] = 1;
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);

    /* The DER encoding that OpenSSL itself makes is not the JWS one. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[256];
    size_t der_len = sizeof der;
    const char *md = alg == JOT_ES256 ? "SHA256" : alg == JOT_ES384 ? "SHA384" : "SHA512";
    assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k->pkey, NULL), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &der_len, (const uint8_t *)msg, mlen), 1);
    EVP_MD_CTX_free(ctx);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, der, der_len), JOT_E_BAD_SIGNATURE);
    /* Nor is it accepted padded or cut to the JWS length. */
    memset(bad, 0, len);
    memcpy(bad, der, der_len < len ? der_len : len);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len), JOT_E_BAD_SIGNATURE);

    /* Wrong lengths. */
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, sig, len - 1), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, sig, len - 2), JOT_E_BAD_SIGNATURE);
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, sig, clen), JOT_E_BAD_SIGNATURE);
    memcpy(bad, sig, len);
    bad[len] = 0;
    assert_int_equal(jot_sig_verify(k, alg, msg, mlen, bad, len + 1), JOT_E_BAD_SIGNATURE);
    jot_key_free(k);
}

static void test_ecdsa_encodings(void **state)
{
    (void)state;
    ecdsa_bad_encodings("p256_sec1.pem", JOT_ES256, 32);
    ecdsa_bad_encodings("p384_pkcs8.pem", JOT_ES384, 48);
    ecdsa_bad_encodings("p521_pkcs8.pem", JOT_ES512, 66);
}

/* ---- RSASSA-PSS salt length (RFC 7518 3.5) ---- */

static size_t openssl_pss_sign(EVP_PKEY *pkey, const char *md, int salt, uint8_t *sig)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t len = JOT_SIG_MAX;
    assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const uint8_t *)msg, sizeof msg - 1), 1);
    EVP_MD_CTX_free(ctx);
    return len;
}

static int openssl_pss_verify(EVP_PKEY *pkey, const char *md, int salt, const uint8_t *sig, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    assert_int_equal(EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
    int r = EVP_DigestVerify(ctx, sig, len, (const uint8_t *)msg, sizeof msg - 1);
    EVP_MD_CTX_free(ctx);
    return r;
}

static void test_pss_salt_length(void **state)
{
    (void)state;
    jot_key *k = pem_key("rsa2048_pkcs8.pem");
    static const struct {
        jot_alg alg;
        const char *md;
        int hlen;
    } v[] = {{JOT_PS256, "SHA256", 32}, {JOT_PS384, "SHA384", 48}, {JOT_PS512, "SHA512", 64}};
    uint8_t sig[JOT_SIG_MAX];
    size_t len;
    const size_t mlen = sizeof msg - 1;

    for (size_t i = 0; i < 3; i++) {
        /* The salt as long as the hash verifies... */
        len = openssl_pss_sign(k->pkey, v[i].md, v[i].hlen, sig);
        assert_int_equal(jot_sig_verify(k, v[i].alg, msg, mlen, sig, len), JOT_OK);
        /* ...no other salt length does, though each is valid PSS. */
        const int others[] = {0, 20, v[i].hlen - 1, v[i].hlen + 1, RSA_PSS_SALTLEN_MAX};
        for (size_t j = 0; j < sizeof others / sizeof others[0]; j++) {
            len = openssl_pss_sign(k->pkey, v[i].md, others[j], sig);
            assert_int_equal(openssl_pss_verify(k->pkey, v[i].md, RSA_PSS_SALTLEN_AUTO, sig, len), 1);
            assert_int_equal(jot_sig_verify(k, v[i].alg, msg, mlen, sig, len), JOT_E_BAD_SIGNATURE);
        }
        /* What jot signs has that salt length, and MGF1 with the same hash. */
        sign_ok(k, v[i].alg, msg, mlen, sig, &len);
        assert_int_equal(openssl_pss_verify(k->pkey, v[i].md, v[i].hlen, sig, len), 1);
        /* PKCS #1 v1.5 and PSS do not verify as each other. */
        assert_int_equal(jot_sig_verify(k, (jot_alg)(v[i].alg - 3), msg, mlen, sig, len), JOT_E_BAD_SIGNATURE);
        /* Nor the other hash functions. */
        assert_int_equal(jot_sig_verify(k, v[i].alg == JOT_PS256 ? JOT_PS384 : JOT_PS256, msg, mlen, sig, len),
                         JOT_E_BAD_SIGNATURE);
    }
    jot_key_free(k);
}

/* ---- HMAC ---- */

static void test_hmac_against_openssl(void **state)
{
    (void)state;
    /* Key lengths around the block sizes (64 for SHA-256, 128 for SHA-384
     * and SHA-512), where RFC 2104 hashes the key first. */
    static const size_t key_lens[] = {32, 48, 63, 64, 65, 100, 127, 128, 129, 200, 1000};
    static const size_t msg_lens[] = {0, 1, 55, 56, 64, 111, 112, 128, 1000};
    static const struct {
        jot_alg alg;
        const char *md;
        size_t hlen;
    } v[] = {{JOT_HS256, "SHA256", 32}, {JOT_HS384, "SHA384", 48}, {JOT_HS512, "SHA512", 64}};
    uint8_t key[1000], m[1000], sig[JOT_SIG_MAX], ref[64];

    assert_int_equal(jot__random(key, sizeof key), JOT_OK);
    assert_int_equal(jot__random(m, sizeof m), JOT_OK);
    for (size_t a = 0; a < 3; a++) {
        for (size_t i = 0; i < sizeof key_lens / sizeof key_lens[0]; i++) {
            jot_key *k = NULL;
            if (key_lens[i] < v[a].hlen)
                continue;
            assert_int_equal(jot_key_from_secret(key, key_lens[i], &k), JOT_OK);
            for (size_t j = 0; j < sizeof msg_lens / sizeof msg_lens[0]; j++) {
                size_t len = 0, ref_len = 0;
                sign_ok(k, v[a].alg, m, msg_lens[j], sig, &len);
                assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, v[a].md, NULL, key, key_lens[i], m, msg_lens[j],
                                          ref, sizeof ref, &ref_len));
                assert_int_equal(len, v[a].hlen);
                assert_int_equal(ref_len, v[a].hlen);
                assert_memory_equal(sig, ref, len);
                assert_int_equal(jot_sig_verify(k, v[a].alg, m, msg_lens[j], ref, ref_len), JOT_OK);
                /* RFC 7518 3.2: a truncated MAC is not a MAC. */
                assert_int_equal(jot_sig_verify(k, v[a].alg, m, msg_lens[j], ref, ref_len / 2),
                                 JOT_E_BAD_SIGNATURE);
            }
            jot_key_free(k);
        }
    }
}

static void test_hmac_short_keys(void **state)
{
    (void)state;
    uint8_t secret[64], sig[JOT_SIG_MAX];
    size_t len;
    jot_key *k = NULL;

    memset(secret, 0x5a, sizeof secret);
    /* RFC 7518 3.2: a key at least as long as the hash output. */
    assert_int_equal(jot_key_from_secret(secret, 31, &k), JOT_E_WEAK_KEY);
    assert_null(k);
    assert_int_equal(jot_key_from_secret(secret, 16, &k), JOT_E_WEAK_KEY);
    assert_int_equal(jot_key_from_secret(secret, 32, &k), JOT_OK);
    assert_int_equal(jot_key_fits(k, JOT_HS256), JOT_OK);
    assert_int_equal(jot_key_fits(k, JOT_HS384), JOT_E_WEAK_KEY);
    assert_int_equal(jot_key_fits(k, JOT_HS512), JOT_E_WEAK_KEY);
    assert_int_equal(jot_sig_sign(k, JOT_HS384, msg, 4, sig, &len), JOT_E_WEAK_KEY);
    assert_int_equal(jot_sig_verify(k, JOT_HS512, msg, 4, sig, 64), JOT_E_WEAK_KEY);
    sign_ok(k, JOT_HS256, msg, 4, sig, &len);
    assert_int_equal(jot_sig_verify(k, JOT_HS256, msg, 4, sig, len), JOT_OK);
    jot_key_free(k);
    assert_int_equal(jot_key_from_secret(secret, 48, &k), JOT_OK);
    assert_int_equal(jot_key_fits(k, JOT_HS384), JOT_OK);
    assert_int_equal(jot_key_fits(k, JOT_HS512), JOT_E_WEAK_KEY);
    jot_key_free(k);
}

/* ---- PEM ---- */

static void test_pem_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *priv, *pub; /* pub: a file with the same public key */
        jot_alg alg;
        jot_kty kty;
        const char *crv;
        unsigned bits;
    } v[] = {
        {"rsa2048_pkcs8.pem", "rsa2048_spki.pem", JOT_RS256, JOT_KTY_RSA, NULL, 2048},
        {"rsa2048_pkcs1.pem", "rsa2048_pkcs1_pub.pem", JOT_PS256, JOT_KTY_RSA, NULL, 2048},
        {"rsa2048_pkcs1.pem", "rsa2048_spki.pem", JOT_RS512, JOT_KTY_RSA, NULL, 2048},
        {"p256_sec1.pem", "p256_spki.pem", JOT_ES256, JOT_KTY_EC, "P-256", 256},
        {"p256_sec1.pem", "p256_cert.pem", JOT_ES256, JOT_KTY_EC, "P-256", 256},
        {"p384_pkcs8.pem", "p384_spki.pem", JOT_ES384, JOT_KTY_EC, "P-384", 384},
        {"p521_pkcs8.pem", "p521_spki.pem", JOT_ES512, JOT_KTY_EC, "P-521", 521},
        {"p521_sec1.pem", "p521_spki.pem", JOT_ES512, JOT_KTY_EC, "P-521", 521},
        {"ed25519_pkcs8.pem", "ed25519_spki.pem", JOT_EDDSA, JOT_KTY_OKP, "Ed25519", 256},
        {"ed448_pkcs8.pem", "ed448_spki.pem", JOT_EDDSA, JOT_KTY_OKP, "Ed448", 448},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        jot_key *priv = pem_key(v[i].priv), *pub = pem_key(v[i].pub);
        uint8_t sig[JOT_SIG_MAX];
        size_t len;
        char *a = NULL, *b = NULL;

        assert_int_equal(jot_key_is_private(priv), 1);
        assert_int_equal(jot_key_is_private(pub), 0);
        assert_int_equal(jot_key_type(priv), v[i].kty);
        assert_int_equal(jot_key_type(pub), v[i].kty);
        assert_int_equal(jot_key_bits(priv), v[i].bits);
        assert_int_equal(jot_key_bits(pub), v[i].bits);
        if (v[i].crv) {
            assert_string_equal(jot_key_curve(priv), v[i].crv);
            assert_string_equal(jot_key_curve(pub), v[i].crv);
        }
        sign_ok(priv, v[i].alg, msg, sizeof msg - 1, sig, &len);
        assert_int_equal(jot_sig_verify(pub, v[i].alg, msg, sizeof msg - 1, sig, len), JOT_OK);
        /* Both give the same SPKI. */
        assert_int_equal(jot__pkey_to_pem(priv, 0, &a), JOT_OK);
        assert_int_equal(jot__pkey_to_pem(pub, 0, &b), JOT_OK);
        assert_string_equal(a, b);
        free(a);
        free(b);
        /* A public key has no PKCS #8. */
        b = NULL;
        assert_int_equal(jot__pkey_to_pem(pub, 1, &b), JOT_E_KEY);
        assert_null(b);
        jot_key_free(priv);
        jot_key_free(pub);
    }
}

static void test_pem_refused(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        jot_status want;
    } v[] = {
        {"rsa1024_pkcs8.pem", JOT_E_WEAK_KEY},   {"rsa1024_spki.pem", JOT_E_WEAK_KEY},
        {"p256_encrypted_pkcs8.pem", JOT_E_KEY}, {"p256_encrypted_sec1.pem", JOT_E_KEY},
        {"secp256k1_sec1.pem", JOT_E_KEY},       {"x25519_pkcs8.pem", JOT_E_KEY},
        {"rsapss_pkcs8.pem", JOT_E_KEY},         {"rsa_roca_spki.pem", JOT_E_WEAK_KEY},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        jot_key *k = NULL;
        jot_status st = load_pem(v[i].file, &k);
        if (st != v[i].want)
            fail_msg("%s: got %s", v[i].file, jot_strerror(st));
        assert_null(k);
    }
    static const char *const texts[] = {
        "not a key",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAfU0Of2FTpptiQrUiq77mhf2kQg+INLEIw72uNp71Sfo=\n",
        /* An Ed25519 SPKI under a label that says something else. */
        "-----BEGIN EC PRIVATE KEY-----\nMCowBQYDK2VwAyEAfU0Of2FTpptiQrUiq77mhf2kQg+INLEIw72uNp71Sfo=\n"
        "-----END EC PRIVATE KEY-----\n",
        "-----BEGIN X509 CRL-----\nMCowBQYDK2VwAyEAfU0Of2FTpptiQrUiq77mhf2kQg+INLEIw72uNp71Sfo=\n"
        "-----END X509 CRL-----\n",
        /* The same SPKI with one byte (00) after its DER. */
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAfU0Of2FTpptiQrUiq77mhf2kQg+INLEIw72uNp71Sfo"
        "A\n-----END PUBLIC KEY-----\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        jot_key *k = NULL;
        assert_int_equal(jot_key_from_pem(texts[i], strlen(texts[i]), &k), JOT_E_KEY);
        assert_null(k);
    }
    /* The untouched SPKI loads, with text around it. */
    const char *good = "a comment\n-----BEGIN PUBLIC KEY-----\n"
                       "MCowBQYDK2VwAyEAfU0Of2FTpptiQrUiq77mhf2kQg+INLEIw72uNp71Sfo=\n"
                       "-----END PUBLIC KEY-----\ntrailing text\n";
    jot_key *k = NULL;
    assert_int_equal(jot_key_from_pem(good, strlen(good), &k), JOT_OK);
    assert_string_equal(jot_key_curve(k), "Ed25519");
    jot_key_free(k);
}

static void test_pem_explicit_curve(void **state)
{
    (void)state;
    /* The P-256 public key of p256_spki.pem, with the curve spelled out as
     * explicit parameters instead of named (RFC 5480 2.1.1 forbids it;
     * CVE-2020-0601 came from trusting such parameters). */
    jot_key *k = NULL;
    assert_int_equal(load_pem("p256_explicit_spki.pem", &k), JOT_E_KEY);
    assert_null(k);
}

/* ---- keys from JWK members ---- */

static jot_status ec_from(jot__crv crv, jot__bytes x, jot__bytes y, jot__bytes d)
{
    jot_key *k = jot__key_alloc();
    assert_non_null(k);
    jot_status st = jot__ec_from(k, crv, x, y, d);
    if (st == JOT_OK)
        assert_int_equal(k->priv, d.p != NULL);
    else
        assert_null(k->pkey);
    jot_key_free(k);
    return st;
}

static void ec_members(const char *file, jot__crv crv)
{
    jot_key *src = pem_key(file);
    jot__bytes x, y, d, x2, y2, d2;
    jot__bytes none = {NULL, 0};
    size_t clen = jot__crv_len(crv);
    uint8_t buf[2 * JOT__CRV_MAX];

    assert_int_equal(jot__ec_export(src, 1, &x, &y, &d), JOT_OK);
    assert_int_equal(x.n, clen);
    assert_int_equal(y.n, clen);
    assert_int_equal(d.n, clen);
    /* Without private: no d. */
    assert_int_equal(jot__ec_export(src, 0, &x2, &y2, &d2), JOT_OK);
    assert_null(d2.p);
    assert_memory_equal(x.p, x2.p, clen);
    jot__bytes_clear(&x2);
    jot__bytes_clear(&y2);

    assert_int_equal(ec_from(crv, x, y, none), JOT_OK);
    assert_int_equal(ec_from(crv, x, y, d), JOT_OK);

    /* A round trip through the members gives the same key back. */
    jot_key *k = jot__key_alloc();
    assert_int_equal(jot__ec_from(k, crv, x, y, d), JOT_OK);
    assert_int_equal(jot__ec_export(k, 1, &x2, &y2, &d2), JOT_OK);
    assert_memory_equal(x.p, x2.p, clen);
    assert_memory_equal(y.p, y2.p, clen);
    assert_memory_equal(d.p, d2.p, clen);
    jot__bytes_clear(&x2);
    jot__bytes_clear(&y2);
    jot__bytes_clear(&d2);
    jot_key_free(k);

    /* Lengths other than the coordinate length. */
    jot__bytes shortx = {x.p + 1, clen - 1};
    assert_int_equal(ec_from(crv, shortx, y, none), JOT_E_KEY);
    memset(buf, 0, sizeof buf);
    memcpy(buf + 1, x.p, clen);
    jot__bytes longx = {buf, clen + 1};
    assert_int_equal(ec_from(crv, longx, y, none), JOT_E_KEY);
    jot__bytes shortd = {d.p + 1, clen - 1};
    assert_int_equal(ec_from(crv, x, y, shortd), JOT_E_KEY);
    assert_int_equal(ec_from(crv == JOT__CRV_P256 ? JOT__CRV_P384 : JOT__CRV_P256, x, y, none), JOT_E_KEY);
    assert_int_equal(ec_from(JOT__CRV_ED25519, x, y, none), JOT_E_KEY);

    /* A point off the curve. */
    y.p[clen - 1] ^= 1;
    assert_int_equal(ec_from(crv, x, y, none), JOT_E_KEY);
    assert_int_equal(ec_from(crv, x, y, d), JOT_E_KEY);
    y.p[clen - 1] ^= 1;
    /* A coordinate that is not below p (all ones is above p). */
    memset(buf, 0xff, clen);
    if (crv == JOT__CRV_P521)
        buf[0] = 0x01;
    jot__bytes big = {buf, clen};
    assert_int_equal(ec_from(crv, big, y, none), JOT_E_KEY);

    /* d = 0, d = n, d = n + 1 (all over n), d of another key. */
    uint8_t dbuf[JOT__CRV_MAX];
    jot__bytes dd = {dbuf, clen};
    memset(dbuf, 0, clen);
    assert_int_equal(ec_from(crv, x, y, dd), JOT_E_KEY);
    memcpy(dbuf, jot__ec_order(crv), clen);
    assert_int_equal(ec_from(crv, x, y, dd), JOT_E_KEY);
    dbuf[clen - 1]++;
    assert_int_equal(ec_from(crv, x, y, dd), JOT_E_KEY);
    memcpy(dbuf, d.p, clen);
    dbuf[clen - 1] ^= 0x02;
    assert_int_equal(ec_from(crv, x, y, dd), JOT_E_KEY);
    /* d = 1 is a valid scalar, but its point is G. */
    memset(dbuf, 0, clen);
    dbuf[clen - 1] = 1;
    assert_int_equal(ec_from(crv, x, y, dd), JOT_E_KEY);

    jot__bytes_clear(&x);
    jot__bytes_clear(&y);
    jot__bytes_clear(&d);
    jot_key_free(src);
}

static void test_ec_from(void **state)
{
    (void)state;
    ec_members("p256_sec1.pem", JOT__CRV_P256);
    ec_members("p384_pkcs8.pem", JOT__CRV_P384);
    ec_members("p521_pkcs8.pem", JOT__CRV_P521);
}

static jot_status okp_from(jot__crv crv, jot__bytes x, jot__bytes d)
{
    jot_key *k = jot__key_alloc();
    assert_non_null(k);
    jot_status st = jot__okp_from(k, crv, x, d);
    if (st == JOT_OK)
        assert_int_equal(k->priv, d.p != NULL);
    jot_key_free(k);
    return st;
}

static void okp_members(const char *file, jot__crv crv, size_t len)
{
    jot_key *src = pem_key(file);
    jot__bytes x, d, none = {NULL, 0};
    uint8_t buf[64];

    assert_int_equal(jot__okp_export(src, 1, &x, &d), JOT_OK);
    assert_int_equal(x.n, len);
    assert_int_equal(d.n, len);
    assert_int_equal(okp_from(crv, x, none), JOT_OK);
    assert_int_equal(okp_from(crv, x, d), JOT_OK);

    jot_key *k = jot__key_alloc();
    jot__bytes x2, d2;
    assert_int_equal(jot__okp_from(k, crv, x, d), JOT_OK);
    assert_int_equal(jot__okp_export(k, 1, &x2, &d2), JOT_OK);
    assert_memory_equal(x.p, x2.p, len);
    assert_memory_equal(d.p, d2.p, len);
    jot__bytes_clear(&x2);
    jot__bytes_clear(&d2);
    assert_int_equal(jot__okp_export(k, 0, &x2, NULL), JOT_OK);
    assert_int_equal(x2.n, len);
    jot__bytes_clear(&x2);
    jot_key_free(k);

    jot__bytes shortx = {x.p, len - 1};
    assert_int_equal(okp_from(crv, shortx, none), JOT_E_KEY);
    memset(buf, 0, sizeof buf);
    memcpy(buf, x.p, len);
    jot__bytes longx = {buf, len + 1};
    assert_int_equal(okp_from(crv, longx, none), JOT_E_KEY);
    jot__bytes shortd = {d.p, len - 1};
    assert_int_equal(okp_from(crv, x, shortd), JOT_E_KEY);
    assert_int_equal(okp_from(crv == JOT__CRV_ED25519 ? JOT__CRV_ED448 : JOT__CRV_ED25519, x, none), JOT_E_KEY);
    assert_int_equal(okp_from(JOT__CRV_P256, x, none), JOT_E_KEY);
    /* A d that is not x's. */
    d.p[0] ^= 1;
    assert_int_equal(okp_from(crv, x, d), JOT_E_KEY);
    d.p[0] ^= 1;
    x.p[0] ^= 1;
    assert_int_equal(okp_from(crv, x, d), JOT_E_KEY);
    x.p[0] ^= 1;

    jot__bytes_clear(&x);
    jot__bytes_clear(&d);
    jot_key_free(src);
}

static void test_okp_from(void **state)
{
    (void)state;
    okp_members("ed25519_pkcs8.pem", JOT__CRV_ED25519, 32);
    okp_members("ed448_pkcs8.pem", JOT__CRV_ED448, 57);
}

static jot_status rsa_from(const jot__bytes m[JOT__RSA_COUNT], jot_key **out)
{
    jot_key *k = jot__key_alloc();
    assert_non_null(k);
    jot_status st = jot__rsa_from(k, m);
    if (st == JOT_OK && out != NULL) {
        *out = k;
        return st;
    }
    if (st != JOT_OK)
        assert_null(k->pkey);
    jot_key_free(k);
    return st;
}

static void test_rsa_from(void **state)
{
    (void)state;
    jot_key *src = pem_key("rsa2048_pkcs8.pem");
    jot__bytes m[JOT__RSA_COUNT], t[JOT__RSA_COUNT], pub[JOT__RSA_COUNT];
    uint8_t sig[JOT_SIG_MAX];
    size_t len;
    jot_key *k = NULL;

    assert_int_equal(jot__rsa_export(src, 1, m), JOT_OK);
    for (int i = 0; i < JOT__RSA_COUNT; i++)
        assert_true(m[i].n > 0);
    assert_int_equal(m[JOT__RSA_N].n, 256);
    assert_int_equal(m[JOT__RSA_E].n, 3);
    assert_int_equal(jot__rsa_export(src, 0, pub), JOT_OK);
    for (int i = JOT__RSA_D; i < JOT__RSA_COUNT; i++)
        assert_null(pub[i].p);

    /* The full private key, and it signs like the original. */
    assert_int_equal(rsa_from(m, &k), JOT_OK);
    assert_int_equal(jot_key_is_private(k), 1);
    assert_int_equal(jot_key_bits(k), 2048);
    sign_ok(k, JOT_RS256, msg, 8, sig, &len);
    assert_int_equal(jot_sig_verify(src, JOT_RS256, msg, 8, sig, len), JOT_OK);
    jot_key_free(k);
    /* The public key. */
    assert_int_equal(rsa_from(pub, &k), JOT_OK);
    assert_int_equal(jot_key_is_private(k), 0);
    assert_int_equal(jot_sig_verify(k, JOT_RS256, msg, 8, sig, len), JOT_OK);
    jot_key_free(k);
    /* n, e, d only (RFC 7518 6.3.2: the CRT members are optional). */
    memcpy(t, m, sizeof t);
    for (int i = JOT__RSA_P; i < JOT__RSA_COUNT; i++)
        t[i].p = NULL, t[i].n = 0;
    assert_int_equal(rsa_from(t, &k), JOT_OK);
    sign_ok(k, JOT_PS256, msg, 8, sig, &len);
    assert_int_equal(jot_sig_verify(src, JOT_PS256, msg, 8, sig, len), JOT_OK);
    jot_key_free(k);

    /* A leading zero octet in n is tolerated. */
    uint8_t n0[257];
    n0[0] = 0;
    memcpy(n0 + 1, m[JOT__RSA_N].p, 256);
    memcpy(t, pub, sizeof t);
    t[JOT__RSA_N].p = n0;
    t[JOT__RSA_N].n = 257;
    assert_int_equal(rsa_from(t, &k), JOT_OK);
    assert_int_equal(jot_key_bits(k), 2048);
    jot_key_free(k);

    /* Missing n or e. */
    memcpy(t, pub, sizeof t);
    t[JOT__RSA_N].n = 0;
    t[JOT__RSA_N].p = NULL;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    memcpy(t, pub, sizeof t);
    t[JOT__RSA_E].n = 0;
    t[JOT__RSA_E].p = NULL;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    /* Even, one, and too large exponents. */
    uint8_t e_even[3] = {1, 0, 0}, e_one[1] = {1};
    memcpy(t, pub, sizeof t);
    t[JOT__RSA_E].p = e_even;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    t[JOT__RSA_E].p = e_one;
    t[JOT__RSA_E].n = 1;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    t[JOT__RSA_E] = m[JOT__RSA_N];
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    /* An even modulus. */
    uint8_t n_even[256];
    memcpy(n_even, m[JOT__RSA_N].p, 256);
    n_even[255] &= 0xfe;
    memcpy(t, pub, sizeof t);
    t[JOT__RSA_N].p = n_even;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    /* 1024 bits: weak, public or private. */
    memcpy(t, pub, sizeof t);
    t[JOT__RSA_N].p = m[JOT__RSA_N].p + 128;
    t[JOT__RSA_N].n = 128;
    assert_int_equal(rsa_from(t, NULL), JOT_E_WEAK_KEY);

    /* Private members that do not fit together. */
    static const int broken[] = {JOT__RSA_D, JOT__RSA_P, JOT__RSA_Q, JOT__RSA_DP, JOT__RSA_DQ, JOT__RSA_QI};
    uint8_t buf[256];
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        int j = broken[i];
        memcpy(t, m, sizeof t);
        memcpy(buf, m[j].p, m[j].n);
        buf[m[j].n - 1] ^= 0x02;
        t[j].p = buf;
        if (rsa_from(t, NULL) != JOT_E_KEY)
            fail_msg("member %d changed, key accepted", j);
    }
    /* d changed, without the CRT members to compare with. */
    memcpy(t, m, sizeof t);
    for (int i = JOT__RSA_P; i < JOT__RSA_COUNT; i++)
        t[i].p = NULL, t[i].n = 0;
    memcpy(buf, m[JOT__RSA_D].p, m[JOT__RSA_D].n);
    buf[m[JOT__RSA_D].n - 1] ^= 0x02;
    t[JOT__RSA_D].p = buf;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    /* p and q swapped (qi is then the wrong inverse). */
    memcpy(t, m, sizeof t);
    t[JOT__RSA_P] = m[JOT__RSA_Q];
    t[JOT__RSA_Q] = m[JOT__RSA_P];
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    /* Some CRT members but not all; CRT members without d. */
    memcpy(t, m, sizeof t);
    t[JOT__RSA_DQ].p = NULL;
    t[JOT__RSA_DQ].n = 0;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    memcpy(t, m, sizeof t);
    t[JOT__RSA_D].p = NULL;
    t[JOT__RSA_D].n = 0;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    /* d = 0 and d = n. */
    memcpy(t, m, sizeof t);
    for (int i = JOT__RSA_P; i < JOT__RSA_COUNT; i++)
        t[i].p = NULL, t[i].n = 0;
    uint8_t zero[1] = {0};
    t[JOT__RSA_D].p = zero;
    t[JOT__RSA_D].n = 1;
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);
    t[JOT__RSA_D] = m[JOT__RSA_N];
    assert_int_equal(rsa_from(t, NULL), JOT_E_KEY);

    for (int i = 0; i < JOT__RSA_COUNT; i++) {
        jot__bytes_clear(&m[i]);
        jot__bytes_clear(&pub[i]);
    }
    jot_key_free(src);
}

static void test_rsa_weak(void **state)
{
    (void)state;
    jot_key *k = NULL;
    assert_int_equal(load_pem("rsa1024_pkcs8.pem", &k), JOT_E_WEAK_KEY);
    assert_int_equal(load_pem("rsa1024_spki.pem", &k), JOT_E_WEAK_KEY);
    assert_int_equal(jot_key_generate(JOT_RS256, 1024, &k), JOT_E_WEAK_KEY);
    assert_int_equal(jot_key_generate(JOT_PS256, 2047, &k), JOT_E_WEAK_KEY);
    assert_null(k);
}

/* ---- small primitives ---- */

static void test_primitives(void **state)
{
    (void)state;
    /* FIPS 180-2 B.1. */
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t out[32], r1[32], r2[32];
    assert_int_equal(jot__sha256("abc", 3, out), JOT_OK);
    assert_memory_equal(out, abc, 32);
    assert_int_equal(jot__sha256(NULL, 1, out), JOT_E_ARG);
    assert_int_equal(jot__sha256(NULL, 0, out), JOT_OK);

    assert_int_equal(jot__random(r1, sizeof r1), JOT_OK);
    assert_int_equal(jot__random(r2, sizeof r2), JOT_OK);
    assert_memory_not_equal(r1, r2, sizeof r1);
    jot_wipe(r1, sizeof r1);
    memset(r2, 0, sizeof r2);
    assert_memory_equal(r1, r2, sizeof r1);

    jot__bytes b;
    assert_int_equal(jot__bytes_alloc(&b, 5), JOT_OK);
    memcpy(b.p, "hello", 5);
    jot__bytes_clear(&b);
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    jot__bytes_clear(&b);
    jot__bytes_clear(NULL);
}

/* ---- one key, several threads (keys are shared read-only) ---- */

struct thread_arg {
    const jot_key *key;
    jot_alg alg;
    int rounds;
    int failures;
};

static void *worker(void *p)
{
    struct thread_arg *a = p;
    uint8_t sig[JOT_SIG_MAX];
    char m[64];
    for (int i = 0; i < a->rounds; i++) {
        size_t len = 0;
        int n = snprintf(m, sizeof m, "message %d of %p", i, p);
        if (jot_sig_sign(a->key, a->alg, m, (size_t)n, sig, &len) != JOT_OK ||
            jot_sig_verify(a->key, a->alg, m, (size_t)n, sig, len) != JOT_OK)
            a->failures++;
        sig[0] ^= 1;
        if (jot_sig_verify(a->key, a->alg, m, (size_t)n, sig, len) != JOT_E_BAD_SIGNATURE)
            a->failures++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    jot_key *keys[4] = {NULL, NULL, NULL, NULL};
    const jot_alg algs[4] = {JOT_HS256, JOT_ES256, JOT_EDDSA, JOT_PS256};
    const int rounds[4] = {200, 200, 200, 20};
    assert_int_equal(jot_key_generate(JOT_HS256, 0, &keys[0]), JOT_OK);
    keys[1] = pem_key("p256_sec1.pem");
    keys[2] = pem_key("ed25519_pkcs8.pem");
    keys[3] = pem_key("rsa2048_pkcs1.pem");
    for (int k = 0; k < 4; k++) {
        pthread_t th[4];
        struct thread_arg args[4];
        for (int i = 0; i < 4; i++) {
            args[i].key = keys[k];
            args[i].alg = algs[k];
            args[i].rounds = rounds[k];
            args[i].failures = 0;
            assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
            assert_int_equal(args[i].failures, 0);
        }
        jot_key_free(keys[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_hmac),     cmocka_unit_test(test_roundtrip_rsa),
        cmocka_unit_test(test_roundtrip_ec),       cmocka_unit_test(test_roundtrip_eddsa),
        cmocka_unit_test(test_generate_kinds),     cmocka_unit_test(test_mismatch_and_args),
        cmocka_unit_test(test_unprepared_key),     cmocka_unit_test(test_ecdsa_encodings),    cmocka_unit_test(test_pss_salt_length),
        cmocka_unit_test(test_hmac_against_openssl), cmocka_unit_test(test_hmac_short_keys),
        cmocka_unit_test(test_pem_kinds),          cmocka_unit_test(test_pem_refused),
        cmocka_unit_test(test_pem_explicit_curve), cmocka_unit_test(test_ec_from),
        cmocka_unit_test(test_okp_from),           cmocka_unit_test(test_rsa_from),
        cmocka_unit_test(test_rsa_weak),           cmocka_unit_test(test_primitives),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
