/*
 * lib/crypto/util.c - random bytes, SHA-256, and the algorithm objects
 * fetched once per process.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "crypto/internal.h"

/*
 * Fetching an algorithm in OpenSSL 3 is a locked look-up in the provider's
 * method store. The three SHA-2 functions and the three curve orders are
 * immutable, so they are looked up once and then read by any thread without
 * a lock; pthread_once publishes them safely.
 */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static EVP_MD *g_md[3];
static uint8_t g_order[3][JOT__CRV_MAX];
static int g_init_ok;

static void init_once(void)
{
    static const char *const md_names[3] = {"SHA2-256", "SHA2-384", "SHA2-512"};
    static const int nids[3] = {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1};
    static const int lens[3] = {32, 48, 66};
    int ok = 1;

    for (int i = 0; i < 3; i++) {
        g_md[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
        if (g_md[i] == NULL)
            ok = 0;
    }
    for (int i = 0; i < 3; i++) {
        EC_GROUP *group = EC_GROUP_new_by_curve_name(nids[i]);
        const BIGNUM *order = group != NULL ? EC_GROUP_get0_order(group) : NULL;
        if (order == NULL || BN_bn2binpad(order, g_order[i], lens[i]) != lens[i])
            ok = 0;
        EC_GROUP_free(group);
    }
    g_init_ok = ok;
}

static int init(void)
{
    return pthread_once(&g_once, init_once) == 0 && g_init_ok;
}

/* SHA-256, SHA-384 and SHA-512 (the only hashes of the JWA signature
 * algorithms) by their output length. */
static const EVP_MD *md_of_len(size_t len)
{
    int i = len == 32 ? 0 : len == 48 ? 1 : len == 64 ? 2 : -1;
    if (i < 0 || !init())
        return NULL;
    return g_md[i];
}

const EVP_MD *jot__alg_md(jot_alg alg)
{
    return md_of_len(jot__alg_hash_len(alg));
}

const uint8_t *jot__ec_order(jot__crv crv)
{
    int i;
    switch (crv) {
    case JOT__CRV_P256: i = 0; break;
    case JOT__CRV_P384: i = 1; break;
    case JOT__CRV_P521: i = 2; break;
    default: return NULL;
    }
    if (!init())
        return NULL;
    return g_order[i];
}

jot_status jot__random(void *out, size_t n)
{
    unsigned char *p = out;

    if (p == NULL && n > 0)
        return JOT_E_ARG;
    /* RAND_priv_bytes draws from the generator OpenSSL keeps apart for
     * secrets, which is what every caller here makes. */
    while (n > 0) {
        size_t chunk = n > (size_t)INT_MAX ? (size_t)INT_MAX : n;
        if (RAND_priv_bytes(p, (int)chunk) != 1)
            return JOT_E_CRYPTO;
        p += chunk;
        n -= chunk;
    }
    return JOT_OK;
}

jot_status jot__sha256(const void *data, size_t n, uint8_t out[32])
{
    const EVP_MD *md = md_of_len(32);
    unsigned int len = 0;

    if ((data == NULL && n > 0) || out == NULL)
        return JOT_E_ARG;
    if (md == NULL)
        return JOT_E_CRYPTO;
    if (EVP_Digest(data != NULL ? data : "", n, out, &len, md, NULL) != 1 || len != 32)
        return JOT_E_CRYPTO;
    return JOT_OK;
}

void jot__bytes_clear(jot__bytes *b)
{
    if (b == NULL)
        return;
    if (b->p != NULL) {
        jot_wipe(b->p, b->n);
        free(b->p);
    }
    b->p = NULL;
    b->n = 0;
}

jot_status jot__bytes_alloc(jot__bytes *b, size_t n)
{
    b->p = malloc(n > 0 ? n : 1);
    if (b->p == NULL) {
        b->n = 0;
        return JOT_E_NOMEM;
    }
    b->n = n;
    return JOT_OK;
}
