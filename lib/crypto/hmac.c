/*
 * lib/crypto/hmac.c - HMAC with SHA-2 (RFC 2104, RFC 7518 3.2).
 *
 * HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)). The first block of
 * each hash depends on the key only, so it is absorbed once, when the key is
 * made: the prepared state holds, per hash function, the SHA-2 state after
 * K' ^ ipad and the one after K' ^ opad. Each MAC copies both (plain
 * structs: no allocation, no lock) and never writes to the prepared state,
 * so any number of threads can use one key at once, and a short message
 * costs two compression calls fewer.
 *
 * OpenSSL 3 offers no way to copy a digest state without allocating (its
 * EVP_MD_CTX_copy_ex duplicates the provider context on the heap), which
 * cost more than the hashing itself for a token. The SHA256_CTX and
 * SHA512_CTX structures it deprecated but still ships do exactly this job,
 * so this one file uses them.
 *
 * This file also owns the release of struct jot__prep.
 */
#undef OPENSSL_NO_DEPRECATED
#undef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 10101
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto/internal.h"

/* The largest block size of SHA-2 (SHA-384 and SHA-512: 128 octets). */
#define BLOCK_MAX 128u

struct hmac_state {
    SHA256_CTX inner256, outer256;
    SHA512_CTX inner384, outer384;
    SHA512_CTX inner512, outer512;
};

void jot__hmac_state_free(void *state)
{
    if (state == NULL)
        return;
    OPENSSL_cleanse(state, sizeof(struct hmac_state));
    free(state);
}

void jot__prep_free(struct jot__prep *p)
{
    if (p == NULL)
        return;
    jot__hmac_state_free(p->hmac);
    /* The default provider's contexts are cleansed when freed. */
    for (int i = 0; i <= JOT_ALG_MAX; i++) {
        EVP_MD_CTX_free(p->sign[i]);
        EVP_MD_CTX_free(p->verify[i]);
    }
    free(p);
}

/* K' (RFC 2104 2): the key padded with zeros to the block size, or its
 * hash when it is longer than the block. */
static void make_kprime(const uint8_t *key, size_t len, size_t block, int hash, uint8_t *kprime)
{
    memset(kprime, 0, BLOCK_MAX);
    if (len <= block) {
        if (len)
            memcpy(kprime, key, len);
    } else if (hash == 0) {
        SHA256(key, len, kprime);
    } else if (hash == 1) {
        SHA384(key, len, kprime);
    } else {
        SHA512(key, len, kprime);
    }
}

static void xor_pad(const uint8_t *kprime, size_t block, uint8_t pad, uint8_t *out)
{
    for (size_t i = 0; i < block; i++)
        out[i] = (uint8_t)(kprime[i] ^ pad);
}

jot_status jot__hmac_prepare(jot_key *k)
{
    if (k == NULL || k->kty != JOT_KTY_OCT || (k->secret == NULL && k->secret_len > 0))
        return JOT_E_ARG;
    struct jot__prep *p = calloc(1, sizeof *p);
    struct hmac_state *st = calloc(1, sizeof *st);
    if (p == NULL || st == NULL) {
        free(p);
        free(st);
        return JOT_E_NOMEM;
    }
    uint8_t kprime[BLOCK_MAX], pad[BLOCK_MAX];
    int ok = 1;

    make_kprime(k->secret, k->secret_len, 64, 0, kprime);
    xor_pad(kprime, 64, 0x36, pad);
    ok &= SHA256_Init(&st->inner256) && SHA256_Update(&st->inner256, pad, 64);
    xor_pad(kprime, 64, 0x5c, pad);
    ok &= SHA256_Init(&st->outer256) && SHA256_Update(&st->outer256, pad, 64);

    make_kprime(k->secret, k->secret_len, 128, 1, kprime);
    xor_pad(kprime, 128, 0x36, pad);
    ok &= SHA384_Init(&st->inner384) && SHA384_Update(&st->inner384, pad, 128);
    xor_pad(kprime, 128, 0x5c, pad);
    ok &= SHA384_Init(&st->outer384) && SHA384_Update(&st->outer384, pad, 128);

    make_kprime(k->secret, k->secret_len, 128, 2, kprime);
    xor_pad(kprime, 128, 0x36, pad);
    ok &= SHA512_Init(&st->inner512) && SHA512_Update(&st->inner512, pad, 128);
    xor_pad(kprime, 128, 0x5c, pad);
    ok &= SHA512_Init(&st->outer512) && SHA512_Update(&st->outer512, pad, 128);

    OPENSSL_cleanse(kprime, sizeof kprime);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) {
        jot__hmac_state_free(st);
        free(p);
        return JOT_E_CRYPTO;
    }
    p->hmac = st;
    jot__prep_free(k->prep);
    k->prep = p;
    return JOT_OK;
}

jot_status jot__hmac_compute(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, uint8_t *out,
                             size_t *out_len)
{
    if (k == NULL || out == NULL || out_len == NULL || (msg == NULL && msg_len > 0))
        return JOT_E_ARG;
    const struct jot__prep *p = k->prep;
    if (k->kty != JOT_KTY_OCT || p == NULL || p->hmac == NULL)
        return JOT_E_KEY;
    const struct hmac_state *st = p->hmac;
    uint8_t inner[SHA512_DIGEST_LENGTH];
    int ok;

    if (msg == NULL)
        msg = "";
    if (alg == JOT_HS256) {
        SHA256_CTX c = st->inner256;
        ok = SHA256_Update(&c, msg, msg_len) && SHA256_Final(inner, &c);
        c = st->outer256;
        ok = ok && SHA256_Update(&c, inner, SHA256_DIGEST_LENGTH) && SHA256_Final(out, &c);
        OPENSSL_cleanse(&c, sizeof c);
        *out_len = SHA256_DIGEST_LENGTH;
    } else if (alg == JOT_HS384 || alg == JOT_HS512) {
        int is384 = alg == JOT_HS384;
        size_t len = is384 ? SHA384_DIGEST_LENGTH : SHA512_DIGEST_LENGTH;
        SHA512_CTX c = is384 ? st->inner384 : st->inner512;
        ok = is384 ? SHA384_Update(&c, msg, msg_len) && SHA384_Final(inner, &c)
                   : SHA512_Update(&c, msg, msg_len) && SHA512_Final(inner, &c);
        c = is384 ? st->outer384 : st->outer512;
        ok = ok && (is384 ? SHA384_Update(&c, inner, len) && SHA384_Final(out, &c)
                          : SHA512_Update(&c, inner, len) && SHA512_Final(out, &c));
        OPENSSL_cleanse(&c, sizeof c);
        *out_len = len;
    } else {
        return JOT_E_ARG;
    }
    OPENSSL_cleanse(inner, sizeof inner);
    return ok ? JOT_OK : JOT_E_CRYPTO;
}
