/* server/services/seal.c - see seal.h */
#include "services/seal.h"

#include <jot/util.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/mem.h"
#include "base/log.h"
#include "base/text.h"

/* Random bytes come from a small per-thread pool refilled from OpenSSL's
 * DRBG a kilobyte at a time: a refresh needs three identifiers and a nonce,
 * and one DRBG call per 1 KiB costs far less than four calls. Bytes are
 * wiped from the pool as they are handed out. */
#define RANDOM_POOL 1024

static void random_fill(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        jotd_log("fatal", "the random number generator failed", NULL);
        abort();
    }
}

void jotd_random(void *out, size_t n)
{
    static _Thread_local uint8_t pool[RANDOM_POOL];
    static _Thread_local size_t left;
    if (n > RANDOM_POOL / 4) {
        random_fill(out, n);
        return;
    }
    if (left < n) {
        random_fill(pool, sizeof pool);
        left = sizeof pool;
    }
    uint8_t *p = pool + (sizeof pool - left);
    memcpy(out, p, n);
    jot_wipe(p, n);
    left -= n;
}

/* The algorithms, fetched from the provider once (OpenSSL 3 otherwise
 * looks them up again at every use). */
static EVP_MD *md_sha256;
static EVP_CIPHER *cipher_gcm;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    cipher_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!md_sha256 || !cipher_gcm) {
        jotd_log("fatal", "OpenSSL has no SHA-256 or AES-256-GCM", NULL);
        abort();
    }
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&fetch_once, fetch_algorithms);
    return md_sha256;
}

static const EVP_CIPHER *gcm_cipher(void)
{
    pthread_once(&fetch_once, fetch_algorithms);
    return cipher_gcm;
}


void jotd_random_id(char out[23])
{
    uint8_t b[16];
    jotd_random(b, sizeof b);
    jot_base64url_encode(b, sizeof b, out);
}

void jotd_random_uuid(char out[37])
{
    uint8_t b[16];
    jotd_random(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void jotd_sha256(const void *data, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(data, n, out, &len, sha256_md(), NULL) != 1) {
        jotd_log("fatal", "SHA-256 failed", NULL);
        abort();
    }
}

void jotd_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t n, uint8_t out[32])
{
    size_t len = 0;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, data, n, out, 32, &len) || len != 32) {
        jotd_log("fatal", "HMAC-SHA-256 failed", NULL);
        abort();
    }
}

/* Each thread keeps one AES-256-GCM context with the master key's schedule
 * already expanded; a seal then only sets the nonce. The context is
 * rebuilt when another key comes (only tests use two), and freed with its
 * thread. */
typedef struct seal_state {
    EVP_CIPHER_CTX *ctx;
    uint8_t key[JOTD_MASTER_KEY_LEN];
} seal_state;

static pthread_key_t seal_tls;
static pthread_once_t seal_once = PTHREAD_ONCE_INIT;

static void seal_state_free(void *p)
{
    seal_state *st = p;
    EVP_CIPHER_CTX_free(st->ctx);
    jot_wipe(st->key, sizeof st->key);
    free(st);
}

static void seal_tls_init(void)
{
    if (pthread_key_create(&seal_tls, seal_state_free) != 0) {
        jotd_log("fatal", "cannot create thread-local storage", NULL);
        abort();
    }
}

/* This thread's context, keyed with key. NULL on failure. */
static EVP_CIPHER_CTX *seal_context(const uint8_t key[JOTD_MASTER_KEY_LEN])
{
    pthread_once(&seal_once, seal_tls_init);
    seal_state *st = pthread_getspecific(seal_tls);
    if (!st) {
        st = jotd_xcalloc(1, sizeof *st);
        pthread_setspecific(seal_tls, st);
    }
    if (!st->ctx || CRYPTO_memcmp(st->key, key, JOTD_MASTER_KEY_LEN) != 0) {
        EVP_CIPHER_CTX_free(st->ctx);
        st->ctx = EVP_CIPHER_CTX_new();
        if (!st->ctx || EVP_EncryptInit_ex(st->ctx, gcm_cipher(), NULL, key, NULL) != 1) {
            EVP_CIPHER_CTX_free(st->ctx);
            st->ctx = NULL;
            return NULL;
        }
        memcpy(st->key, key, JOTD_MASTER_KEY_LEN);
    }
    return st->ctx;
}

void jotd_seal(const uint8_t key[JOTD_MASTER_KEY_LEN], const char *aad, const void *plain, size_t n,
               uint8_t **out, size_t *outlen)
{
    uint8_t *buf = jotd_xmalloc(n + JOTD_SEAL_OVERHEAD);
    /* A random 96-bit nonce per message (NIST SP 800-38D 8.2.2): far fewer
     * than 2^32 messages are sealed under one master key. */
    jotd_random(buf, 12);
    EVP_CIPHER_CTX *seal_ctx = seal_context(key);
    int len = 0, ok = seal_ctx != NULL;
    ok = ok && EVP_EncryptInit_ex(seal_ctx, NULL, NULL, NULL, buf) == 1;
    ok = ok && EVP_EncryptUpdate(seal_ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_EncryptUpdate(seal_ctx, buf + 12, &len, plain, (int)n) == 1;
    ok = ok && EVP_EncryptFinal_ex(seal_ctx, buf + 12 + len, &len) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(seal_ctx, EVP_CTRL_GCM_GET_TAG, 16, buf + 12 + n) == 1;
    if (!ok) {
        jotd_log("fatal", "AES-256-GCM failed", NULL);
        abort();
    }
    *out = buf;
    *outlen = n + JOTD_SEAL_OVERHEAD;
}

int jotd_open(const uint8_t key[JOTD_MASTER_KEY_LEN], const char *aad, const uint8_t *sealed, size_t n,
              char **out, size_t *outlen)
{
    *out = NULL;
    if (n < JOTD_SEAL_OVERHEAD)
        return -1;
    size_t plen = n - JOTD_SEAL_OVERHEAD;
    char *plain = jotd_xmalloc(plen + 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = ctx != NULL;
    uint8_t tag[16];
    memcpy(tag, sealed + 12 + plen, 16);
    ok = ok && EVP_DecryptInit_ex(ctx, gcm_cipher(), NULL, key, sealed) == 1;
    ok = ok && EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_DecryptUpdate(ctx, (unsigned char *)plain, &len, sealed + 12, (int)plen) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
    ok = ok && EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + len, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        jot_wipe(plain, plen);
        free(plain);
        return -1;
    }
    plain[plen] = '\0';
    *out = plain;
    if (outlen)
        *outlen = plen;
    return 0;
}


/* 64 hex digits (surrounding white space ignored) into 32 bytes. */
static int from_hex(const char *s, size_t n, uint8_t out[32])
{
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        int hi = jotd_hex_digit((unsigned char)s[2 * i]), lo = jotd_hex_digit((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int jotd_master_key_load(const jotd_config *cfg, int may_create, uint8_t out[JOTD_MASTER_KEY_LEN], char *err,
                         size_t errlen)
{
    const char *env = getenv("JOTD_MASTER_KEY");
    if (env && *env) {
        if (from_hex(env, strlen(env), out) != 0) {
            snprintf(err, errlen, "JOTD_MASTER_KEY must be 64 hex digits (32 bytes)");
            return -1;
        }
        return 0;
    }
    const char *path = cfg->master_key_file;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        if (!may_create) {
            snprintf(err, errlen,
                     "master key file %s is missing, and the store holds keys sealed under a master key: "
                     "restore the file or set JOTD_MASTER_KEY",
                     path);
            return -1;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create master key file %s: %s", path, strerror(errno));
            return -1;
        }
        jotd_random(out, JOTD_MASTER_KEY_LEN);
        ssize_t w = write(fd, out, JOTD_MASTER_KEY_LEN);
        int synced = fsync(fd);
        close(fd);
        if (w != JOTD_MASTER_KEY_LEN || synced != 0) {
            unlink(path);
            jot_wipe(out, JOTD_MASTER_KEY_LEN);
            snprintf(err, errlen, "cannot write master key file %s", path);
            return -1;
        }
        jotd_log("info", "created a new master key file", "path", path, NULL);
        return 0;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open master key file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "master key file %s is not a regular file", path);
        return -1;
    }
    if (st.st_mode & 077) {
        close(fd);
        snprintf(err, errlen, "master key file %s is readable by others: chmod 600 it", path);
        return -1;
    }
    char buf[130];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    int rc = -1;
    if (n == JOTD_MASTER_KEY_LEN) {
        memcpy(out, buf, JOTD_MASTER_KEY_LEN);
        rc = 0;
    } else if (n > 0 && from_hex(buf, (size_t)n, out) == 0) {
        rc = 0;
    }
    jot_wipe(buf, sizeof buf);
    if (rc != 0)
        snprintf(err, errlen, "master key file %s must hold 32 bytes (or 64 hex digits)", path);
    return rc;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int jotd_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    if (n % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            /* '=' only at the end: one or two of them (RFC 4648 4). */
            if (in[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad)
                return -1;
            v[k] = b64_value(in[i + k]);
            if (v[k] < 0)
                return -1;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t take = 3 - (size_t)pad;
        if (o + take > cap)
            return -1;
        for (size_t k = 0; k < take; k++)
            out[o++] = (uint8_t)(w >> (16 - 8 * k));
    }
    *outlen = o;
    return 0;
}

/* An id as jotd makes them (base64url, shorter than 48): anything else is
 * unknown without asking the store. */
int jotd_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= 48)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}
