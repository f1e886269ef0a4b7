/*
 * bench/floor.c - the floor: OpenSSL alone on the precomputed signing input
 * of the workload, the limit no JWT library can pass.
 *
 * No JSON, no base64url, no allocation of ours in the timed loop: only the
 * signature (RFC 7518 3) of BASE64URL(header) "." BASE64URL(claims), built
 * once before the loop. Each algorithm takes the fastest path OpenSSL 3
 * offers that we found (FLOOR_MODE picks another, to show it is slower):
 *
 *   HS256   HMAC (RFC 2104) from precomputed inner and outer SHA-256 states:
 *           two struct copies and two short hashes per token. This needs the
 *           low-level SHA256_* calls, deprecated in OpenSSL 3 but not gone;
 *           EVP_MAC, even with EVP_MAC_CTX_dup of a keyed context, allocates
 *           and goes through the provider layers on every token.
 *   RS256,  "prehash" (default): SHA-256 with the low-level calls, then
 *   ES256   EVP_PKEY_sign / EVP_PKEY_verify on one EVP_PKEY_CTX initialised
 *           once (RSASSA-PKCS1-v1_5 DigestInfo, or ECDSA on the digest).
 *           ECDSA signatures stay DER inside the loop: the conversion to
 *           R||S (RFC 7518 3.4) is format, not crypto.
 *   EdDSA   "reuse" (default): one EVP_MD_CTX initialised once, and one-shot
 *           EVP_DigestSign / EVP_DigestVerify called on it again and again
 *           (Ed25519 is one-shot, RFC 8032 5.1.6, so the context keeps no
 *           state; a start-up probe checks that and else falls back to copy).
 *   any     "copy": EVP_MD_CTX_copy_ex of an initialised context per token.
 *           "init": EVP_MD_CTX_reset + EVP_DigestSignInit per token.
 *
 * emit prints the token with the signature in its JWS form, so bench/run can
 * check that the floor signs exactly the workload, with the shared keys.
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mode { MODE_HMAC, MODE_PREHASH, MODE_REUSE, MODE_COPY, MODE_INIT };

typedef struct floor_ctx {
    const bench_args *args;
    bench_alg alg;
    enum mode mode;
    /* HS256 */
    SHA256_CTX inner, outer;
    /* RS256, ES256, EdDSA */
    EVP_PKEY *priv, *pub;
    const EVP_MD *md;                     /* SHA-256, or NULL for EdDSA */
    EVP_PKEY_CTX *sign_pctx, *verify_pctx; /* prehash */
    EVP_MD_CTX *sign_ready, *verify_ready; /* reuse, copy: initialised once */
    EVP_MD_CTX *work;                      /* copy, init: per-token context */
} floor_ctx;

static void die_ssl(const floor_ctx *f, const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();

    ERR_error_string_n(e, buf, sizeof buf);
    bench_fail(f->args, "%s failed: %s", what, e != 0 ? buf : "no OpenSSL error");
}

static EVP_PKEY *load_pem(floor_ctx *f, int is_public)
{
    size_t len;
    char *pem = bench_read_key(bench_key_file(f->alg, is_public), &len);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k;

    if (bio == NULL)
        die_ssl(f, "BIO_new_mem_buf");
    k = is_public ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    free(pem);
    if (k == NULL)
        die_ssl(f, "reading the PEM key");
    return k;
}

static EVP_PKEY_CTX *prehash_ctx(floor_ctx *f, EVP_PKEY *k, int sign)
{
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new(k, NULL);

    if (p == NULL || (sign ? EVP_PKEY_sign_init(p) : EVP_PKEY_verify_init(p)) != 1)
        die_ssl(f, "EVP_PKEY_sign_init");
    /* RFC 7518 3.3: RSASSA-PKCS1-v1_5, whose DigestInfo names SHA-256. */
    if (f->alg == BENCH_RS256 && EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PADDING) != 1)
        die_ssl(f, "EVP_PKEY_CTX_set_rsa_padding");
    if (EVP_PKEY_CTX_set_signature_md(p, EVP_sha256()) != 1)
        die_ssl(f, "EVP_PKEY_CTX_set_signature_md");
    return p;
}

static EVP_MD_CTX *ready_ctx(floor_ctx *f, EVP_PKEY *k, int sign)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    if (c == NULL)
        die_ssl(f, "EVP_MD_CTX_new");
    if ((sign ? EVP_DigestSignInit(c, NULL, f->md, NULL, k) : EVP_DigestVerifyInit(c, NULL, f->md, NULL, k)) != 1)
        die_ssl(f, "EVP_DigestSignInit");
    return c;
}

static void floor_init(floor_ctx *f, const bench_args *a)
{
    const char *want = getenv("FLOOR_MODE");

    memset(f, 0, sizeof *f);
    f->args = a;
    f->alg = a->alg;
    if (f->alg == BENCH_HS256) {
        size_t len;
        char *secret = bench_read_key(bench_key_file(BENCH_HS256, 0), &len);
        uint8_t ipad[SHA256_CBLOCK], opad[SHA256_CBLOCK];
        size_t i;

        /* RFC 2104 2: a key no longer than the block is zero-padded. */
        if (len != 32)
            bench_fail(a, "hs256.secret must hold 32 bytes, not %zu", len);
        memset(ipad, 0x36, sizeof ipad);
        memset(opad, 0x5c, sizeof opad);
        for (i = 0; i < len; i++) {
            ipad[i] ^= (uint8_t)secret[i];
            opad[i] ^= (uint8_t)secret[i];
        }
        SHA256_Init(&f->inner);
        SHA256_Update(&f->inner, ipad, sizeof ipad);
        SHA256_Init(&f->outer);
        SHA256_Update(&f->outer, opad, sizeof opad);
        OPENSSL_cleanse(ipad, sizeof ipad);
        OPENSSL_cleanse(opad, sizeof opad);
        OPENSSL_cleanse(secret, len);
        free(secret);
        f->mode = MODE_HMAC;
        return;
    }
    f->priv = load_pem(f, 0);
    f->pub = load_pem(f, 1);
    f->md = f->alg == BENCH_EDDSA ? NULL : EVP_sha256();
    f->mode = f->alg == BENCH_EDDSA ? MODE_REUSE : MODE_PREHASH;
    if (want != NULL && want[0] != '\0') {
        if (strcmp(want, "prehash") == 0 && f->alg != BENCH_EDDSA)
            f->mode = MODE_PREHASH;
        else if (strcmp(want, "reuse") == 0 && f->alg == BENCH_EDDSA)
            f->mode = MODE_REUSE;
        else if (strcmp(want, "copy") == 0)
            f->mode = MODE_COPY;
        else if (strcmp(want, "init") == 0)
            f->mode = MODE_INIT;
        else
            bench_fail(a, "FLOOR_MODE=%s does not fit %s (prehash: RS256/ES256, reuse: EdDSA, copy, init)", want,
                       bench_alg_name(f->alg));
    }
    switch (f->mode) {
    case MODE_PREHASH:
        f->sign_pctx = prehash_ctx(f, f->priv, 1);
        f->verify_pctx = prehash_ctx(f, f->pub, 0);
        break;
    case MODE_REUSE:
    case MODE_COPY:
        f->sign_ready = ready_ctx(f, f->priv, 1);
        f->verify_ready = ready_ctx(f, f->pub, 0);
        f->work = EVP_MD_CTX_new();
        break;
    default:
        f->work = EVP_MD_CTX_new();
        break;
    }
    if ((f->mode == MODE_COPY || f->mode == MODE_INIT || f->mode == MODE_REUSE) && f->work == NULL)
        die_ssl(f, "EVP_MD_CTX_new");
}

static void floor_release(floor_ctx *f)
{
    EVP_PKEY_CTX_free(f->sign_pctx);
    EVP_PKEY_CTX_free(f->verify_pctx);
    EVP_MD_CTX_free(f->sign_ready);
    EVP_MD_CTX_free(f->verify_ready);
    EVP_MD_CTX_free(f->work);
    EVP_PKEY_free(f->priv);
    EVP_PKEY_free(f->pub);
    OPENSSL_cleanse(&f->inner, sizeof f->inner);
    OPENSSL_cleanse(&f->outer, sizeof f->outer);
}

static inline void hmac_sha256(const floor_ctx *f, const void *msg, size_t len, uint8_t out[32])
{
    SHA256_CTX c = f->inner;
    uint8_t inner_hash[32];

    SHA256_Update(&c, msg, len);
    SHA256_Final(inner_hash, &c);
    c = f->outer;
    SHA256_Update(&c, inner_hash, sizeof inner_hash);
    SHA256_Final(out, &c);
}

static inline void sha256(const void *msg, size_t len, uint8_t out[32])
{
    SHA256_CTX c;

    SHA256_Init(&c);
    SHA256_Update(&c, msg, len);
    SHA256_Final(out, &c);
}

/* Sign msg; *sig_len is the room on entry. 1 on success. */
static inline int floor_sign(floor_ctx *f, const void *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
    uint8_t h[32];

    switch (f->mode) {
    case MODE_HMAC:
        hmac_sha256(f, msg, len, sig);
        *sig_len = 32;
        return 1;
    case MODE_PREHASH:
        sha256(msg, len, h);
        return EVP_PKEY_sign(f->sign_pctx, sig, sig_len, h, sizeof h) == 1;
    case MODE_REUSE:
        return EVP_DigestSign(f->sign_ready, sig, sig_len, msg, len) == 1;
    case MODE_COPY:
        return EVP_MD_CTX_copy_ex(f->work, f->sign_ready) == 1 &&
               EVP_DigestSign(f->work, sig, sig_len, msg, len) == 1;
    case MODE_INIT:
        return EVP_MD_CTX_reset(f->work) == 1 && EVP_DigestSignInit(f->work, NULL, f->md, NULL, f->priv) == 1 &&
               EVP_DigestSign(f->work, sig, sig_len, msg, len) == 1;
    }
    return 0;
}

/* 1 when sig (in OpenSSL's form: DER for ECDSA) verifies, else 0. */
static inline int floor_verify(floor_ctx *f, const void *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
    uint8_t h[32];

    switch (f->mode) {
    case MODE_HMAC:
        hmac_sha256(f, msg, len, h);
        return sig_len == sizeof h && CRYPTO_memcmp(h, sig, sizeof h) == 0;
    case MODE_PREHASH:
        sha256(msg, len, h);
        return EVP_PKEY_verify(f->verify_pctx, sig, sig_len, h, sizeof h) == 1;
    case MODE_REUSE:
        return EVP_DigestVerify(f->verify_ready, sig, sig_len, msg, len) == 1;
    case MODE_COPY:
        return EVP_MD_CTX_copy_ex(f->work, f->verify_ready) == 1 &&
               EVP_DigestVerify(f->work, sig, sig_len, msg, len) == 1;
    case MODE_INIT:
        return EVP_MD_CTX_reset(f->work) == 1 && EVP_DigestVerifyInit(f->work, NULL, f->md, NULL, f->pub) == 1 &&
               EVP_DigestVerify(f->work, sig, sig_len, msg, len) == 1;
    }
    return 0;
}

/* RFC 7518 3.4: ECDSA signatures travel as R||S, 32 bytes each for P-256. */
static size_t der_to_jws(floor_ctx *f, const uint8_t *der, size_t der_len, uint8_t out[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r, *sv;

    if (s == NULL)
        die_ssl(f, "d2i_ECDSA_SIG");
    ECDSA_SIG_get0(s, &r, &sv);
    if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(sv, out + 32, 32) != 32)
        die_ssl(f, "BN_bn2binpad");
    ECDSA_SIG_free(s);
    return 64;
}

/* The inverse; -1 when the JWS form is not 64 bytes. */
static long jws_to_der(floor_ctx *f, const uint8_t *raw, size_t raw_len, uint8_t *out, size_t cap)
{
    ECDSA_SIG *s;
    BIGNUM *r, *sv;
    unsigned char *p = out;
    int n;

    if (raw_len != 64)
        return -1;
    s = ECDSA_SIG_new();
    r = BN_bin2bn(raw, 32, NULL);
    sv = BN_bin2bn(raw + 32, 32, NULL);
    if (s == NULL || r == NULL || sv == NULL || ECDSA_SIG_set0(s, r, sv) != 1)
        die_ssl(f, "ECDSA_SIG_set0");
    n = i2d_ECDSA_SIG(s, NULL);
    if (n <= 0 || (size_t)n > cap)
        die_ssl(f, "i2d_ECDSA_SIG");
    n = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    return n;
}

/* Split a compact token into its signing input and its signature in
 * OpenSSL's form. 0 when the token is not three base64url parts. */
static int split_token(floor_ctx *f, const char *token, size_t *input_len, uint8_t *sig, size_t *sig_len)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
    uint8_t raw[1024];
    long n;

    if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
        return 0;
    *input_len = (size_t)(dot2 - token);
    n = bench_b64url_decode(dot2 + 1, strlen(dot2 + 1), raw, sizeof raw);
    if (n < 0)
        return 0;
    if (f->alg == BENCH_ES256) {
        n = jws_to_der(f, raw, (size_t)n, sig, *sig_len);
        if (n < 0)
            return 0;
    } else {
        if ((size_t)n > *sig_len)
            return 0;
        memcpy(sig, raw, (size_t)n);
    }
    *sig_len = (size_t)n;
    return 1;
}

static int check_token(floor_ctx *f, const char *token)
{
    uint8_t sig[1024];
    size_t input_len, sig_len = sizeof sig;

    return split_token(f, token, &input_len, sig, &sig_len) && floor_verify(f, token, input_len, sig, sig_len);
}

/* The workload token signed by the floor, signature in JWS form. */
static char *make_token(floor_ctx *f)
{
    size_t input_len, sig_len;
    const char *input = bench_signing_input(f->alg, &input_len);
    uint8_t sig[1024], jws[1024];
    size_t jws_len;
    char *token;

    sig_len = sizeof sig;
    if (!floor_sign(f, input, input_len, sig, &sig_len))
        die_ssl(f, "signing");
    if (f->alg == BENCH_ES256) {
        jws_len = der_to_jws(f, sig, sig_len, jws);
    } else {
        memcpy(jws, sig, sig_len);
        jws_len = sig_len;
    }
    token = malloc(input_len + 1 + (jws_len + 2) / 3 * 4 + 1);
    if (token == NULL)
        bench_fail(f->args, "out of memory");
    memcpy(token, input, input_len);
    token[input_len] = '.';
    bench_b64url_encode(jws, jws_len, token + input_len + 1);
    return token;
}

/* Sign, verify, and reject a changed message or signature, before any
 * timing. HS256 is also compared with OpenSSL's own HMAC(), and EdDSA's
 * reused context with a fresh one. */
static void self_check(floor_ctx *f)
{
    size_t input_len;
    const char *input = bench_signing_input(f->alg, &input_len);
    char *changed = malloc(input_len + 1);
    uint8_t sig[1024];
    size_t sig_len = sizeof sig;
    int round;

    if (changed == NULL)
        bench_fail(f->args, "out of memory");
    for (round = 0; round < 2; round++) {
        sig_len = sizeof sig;
        if (!floor_sign(f, input, input_len, sig, &sig_len))
            die_ssl(f, "signing the workload");
        if (!floor_verify(f, input, input_len, sig, sig_len))
            bench_fail(f->args, "self-check: the floor's own signature does not verify (round %d)", round);
    }
    memcpy(changed, input, input_len + 1);
    changed[input_len / 2] = changed[input_len / 2] == 'A' ? 'B' : 'A';
    if (floor_verify(f, changed, input_len, sig, sig_len))
        bench_fail(f->args, "self-check: a changed signing input verifies");
    ERR_clear_error();
    sig[sig_len / 2] ^= 0x01;
    if (floor_verify(f, input, input_len, sig, sig_len))
        bench_fail(f->args, "self-check: a changed signature verifies");
    ERR_clear_error();
    sig[sig_len / 2] ^= 0x01;
    if (!floor_verify(f, input, input_len, sig, sig_len))
        bench_fail(f->args, "self-check: the signature no longer verifies after a rejection");
    free(changed);

    if (f->alg == BENCH_HS256) {
        size_t klen;
        char *secret = bench_read_key(bench_key_file(BENCH_HS256, 0), &klen);
        uint8_t ref[32];
        unsigned int ref_len = sizeof ref;

        if (HMAC(EVP_sha256(), secret, (int)klen, (const unsigned char *)input, input_len, ref, &ref_len) == NULL ||
            ref_len != 32 || memcmp(ref, sig, 32) != 0)
            bench_fail(f->args, "self-check: the precomputed HMAC differs from OpenSSL's HMAC()");
        OPENSSL_cleanse(secret, klen);
        free(secret);
    }
    if (f->alg == BENCH_EDDSA) {
        /* Ed25519 is deterministic (RFC 8032 5.1.6): a fresh context must
         * give the same bytes, or reusing one is not sound. */
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        uint8_t ref[64];
        size_t ref_len = sizeof ref;

        if (c == NULL || EVP_DigestSignInit(c, NULL, NULL, NULL, f->priv) != 1 ||
            EVP_DigestSign(c, ref, &ref_len, (const unsigned char *)input, input_len) != 1)
            die_ssl(f, "a fresh Ed25519 signature");
        if (ref_len != sig_len || memcmp(ref, sig, sig_len) != 0)
            bench_fail(f->args, "self-check: the reused context signs differently from a fresh one");
        EVP_MD_CTX_free(c);
    }
}

int main(int argc, char **argv)
{
    bench_args a;
    floor_ctx f;
    size_t input_len;
    const char *input;
    char *token;
    unsigned long i;
    double t0, t1;

    bench_parse_args(argc, argv, "floor", &a);
    floor_init(&f, &a);
    input = bench_signing_input(a.alg, &input_len);

    if (a.op == BENCH_CHECK) {
        token = bench_read_token(a.token_file, NULL);
        if (!check_token(&f, token)) {
            fprintf(stderr, "floor %s: the token does not verify\n", bench_alg_name(a.alg));
            return 1;
        }
        free(token);
        floor_release(&f);
        return 0;
    }
    self_check(&f);
    token = make_token(&f);
    if (!check_token(&f, token))
        bench_fail(&a, "self-check: the floor's token does not verify");
    if (a.op == BENCH_EMIT) {
        printf("%s\n", token);
        free(token);
        floor_release(&f);
        return 0;
    }

    if (a.op == BENCH_SIGN) {
        uint8_t sig[1024];
        size_t sig_len;

        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            sig_len = sizeof sig;
            if (!floor_sign(&f, input, input_len, sig, &sig_len))
                die_ssl(&f, "signing");
        }
        t1 = bench_cpu_seconds();
    } else {
        uint8_t sig[1024];
        size_t sig_len = sizeof sig, in_len;
        const char *tok = token;
        char *given = NULL;

        if (a.token_file != NULL) {
            given = bench_read_token(a.token_file, NULL);
            tok = given;
        }
        if (!split_token(&f, tok, &in_len, sig, &sig_len) || !floor_verify(&f, tok, in_len, sig, sig_len))
            bench_fail(&a, "self-check: the token to verify does not verify");
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            if (!floor_verify(&f, tok, in_len, sig, sig_len))
                bench_fail(&a, "verification %lu failed", i);
        }
        t1 = bench_cpu_seconds();
        free(given);
    }
    bench_report(&a, t1 - t0);
    free(token);
    floor_release(&f);
    return 0;
}
