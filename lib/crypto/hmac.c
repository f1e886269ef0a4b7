/*
 * lib/crypto/hmac.c - HMAC with SHA-2 (RFC 2104, RFC 7518 3.2).
 *
 * HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)). The first block of
 * each hash depends on the key only, so it is absorbed once, when the key is
 * made: the prepared state (struct jot__prep) holds, per hash function, a
 * digest context that has taken in K' ^ ipad and one that has taken in
 * K' ^ opad. Each MAC copies both and never writes to the state, so any
 * number of threads can use one key at once without a lock, and a short
 * message costs two compression calls fewer.
 *
 * This file also owns the release of struct jot__prep.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "crypto/internal.h"

/* The largest block size of SHA-2 (SHA-384 and SHA-512: 128 octets). */
#define BLOCK_MAX 128u

void jot__prep_free(struct jot__prep *p)
{
    if (p == NULL)
        return;
    /* The default provider's contexts are cleansed when freed. */
    for (int i = 0; i < 3; i++) {
        EVP_MD_CTX_free(p->inner[i]);
        EVP_MD_CTX_free(p->outer[i]);
    }
    for (int i = 0; i <= JOT_ALG_MAX; i++) {
        EVP_MD_CTX_free(p->sign[i]);
        EVP_MD_CTX_free(p->verify[i]);
    }
    free(p);
}

/* Absorb K' ^ pad into a new context (RFC 2104 2, steps 1-2 and 5). */
static EVP_MD_CTX *absorb(const EVP_MD *md, const uint8_t *kprime, size_t block, uint8_t pad)
{
    uint8_t buf[BLOCK_MAX];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL)
        return NULL;
    for (size_t i = 0; i < block; i++)
        buf[i] = (uint8_t)(kprime[i] ^ pad);
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, buf, block) != 1) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    OPENSSL_cleanse(buf, sizeof buf);
    return ctx;
}

jot_status jot__hmac_prepare(jot_key *k)
{
    struct jot__prep *st;
    uint8_t kprime[BLOCK_MAX];
    jot_status ret = JOT_OK;

    if (k == NULL || k->kty != JOT_KTY_OCT || (k->secret == NULL && k->secret_len > 0))
        return JOT_E_ARG;
    st = calloc(1, sizeof *st);
    if (st == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    for (int i = 0; i < 3 && ret == JOT_OK; i++) {
        const EVP_MD *md = jot__md(i);
        int bsize = md != NULL ? EVP_MD_get_block_size(md) : 0;
        size_t block = bsize > 0 ? (size_t)bsize : 0;
        unsigned int hlen = 0;

        if (block == 0 || block > BLOCK_MAX) {
            ret = JOT_E_CRYPTO;
            break;
        }
        /* RFC 2104 2: a key longer than the block is hashed first; K' is
         * the key padded with zeros to the block size. */
        memset(kprime, 0, sizeof kprime);
        if (k->secret_len > block) {
            if (EVP_Digest(k->secret, k->secret_len, kprime, &hlen, md, NULL) != 1)
                ret = JOT_E_CRYPTO;
        } else if (k->secret_len > 0) {
            memcpy(kprime, k->secret, k->secret_len);
        }
        if (ret == JOT_OK) {
            st->inner[i] = absorb(md, kprime, block, 0x36);
            st->outer[i] = absorb(md, kprime, block, 0x5c);
            if (st->inner[i] == NULL || st->outer[i] == NULL)
                ret = JOT_E_NOMEM;
        }
    }
    OPENSSL_cleanse(kprime, sizeof kprime);
    ERR_pop_to_mark();
    if (ret != JOT_OK) {
        jot__prep_free(st);
        return ret;
    }
    jot__prep_free(k->prep);
    k->prep = st;
    return JOT_OK;
}

jot_status jot__hmac_compute(const jot_key *k, jot_alg alg, const void *msg, size_t msg_len, uint8_t *out,
                             size_t *out_len)
{
    const struct jot__prep *st;
    int i = jot__hash_index(alg);
    uint8_t inner[JOT__HASH_MAX];
    unsigned int ilen = 0, olen = 0;
    EVP_MD_CTX *ctx;
    int ok;

    if (k == NULL || out == NULL || out_len == NULL || i < 0 || (msg == NULL && msg_len > 0))
        return JOT_E_ARG;
    st = k->prep;
    if (k->kty != JOT_KTY_OCT || st == NULL || st->inner[i] == NULL || st->outer[i] == NULL)
        return JOT_E_KEY;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    ok = EVP_MD_CTX_copy_ex(ctx, st->inner[i]) == 1 && EVP_DigestUpdate(ctx, msg != NULL ? msg : "", msg_len) == 1 &&
         EVP_DigestFinal_ex(ctx, inner, &ilen) == 1 && EVP_MD_CTX_copy_ex(ctx, st->outer[i]) == 1 &&
         EVP_DigestUpdate(ctx, inner, ilen) == 1 && EVP_DigestFinal_ex(ctx, out, &olen) == 1 &&
         olen == jot__hash_len(alg);
    ERR_pop_to_mark();
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(inner, sizeof inner);
    if (!ok)
        return JOT_E_CRYPTO;
    *out_len = olen;
    return JOT_OK;
}
