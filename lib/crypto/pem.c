/*
 * lib/crypto/pem.c - PEM keys in (RFC 7468) and out.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/internal.h"

/* The PEM labels libjot reads (RFC 7468 13, 11; RFC 8017 A.1; RFC 5915 4)
 * and how their DER is decoded. */
static const struct pem_kind {
    const char *label;
    const char *structure; /* OSSL_DECODER input structure */
    const char *type;      /* key type, for the type-specific forms */
    int selection;
} pem_kinds[] = {
    {"PUBLIC KEY", "SubjectPublicKeyInfo", NULL, EVP_PKEY_PUBLIC_KEY},
    {"PRIVATE KEY", "PrivateKeyInfo", NULL, EVP_PKEY_KEYPAIR},
    {"RSA PUBLIC KEY", "type-specific", "RSA", EVP_PKEY_PUBLIC_KEY},
    {"RSA PRIVATE KEY", "type-specific", "RSA", EVP_PKEY_KEYPAIR},
    {"EC PRIVATE KEY", "type-specific", "EC", EVP_PKEY_KEYPAIR},
};

/* Encrypted keys are refused, and nobody is ever prompted for a password:
 * this callback tells the decoder that there is none. */
static int no_passphrase(char *pass, size_t pass_size, size_t *pass_len, const OSSL_PARAM params[], void *arg)
{
    (void)pass;
    (void)pass_size;
    (void)params;
    (void)arg;
    *pass_len = 0;
    return 0;
}

static jot_status decode_key(const struct pem_kind *kind, const unsigned char *der, size_t len, EVP_PKEY **out)
{
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx;
    const unsigned char *p = der;
    size_t left = len;
    jot_status st = JOT_E_KEY;

    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", kind->structure, kind->type, kind->selection, NULL, NULL);
    if (dctx == NULL)
        return JOT_E_NOMEM;
    if (OSSL_DECODER_CTX_get_num_decoders(dctx) > 0 &&
        OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL) == 1 &&
        OSSL_DECODER_from_data(dctx, &p, &left) == 1 && pkey != NULL) {
        /* The whole block must be the key: nothing may trail its DER. */
        if (left == 0) {
            *out = pkey;
            pkey = NULL;
            st = JOT_OK;
        }
    }
    EVP_PKEY_free(pkey);
    OSSL_DECODER_CTX_free(dctx);
    return st;
}

/* RFC 5280 4.1.2.7: the certificate's subjectPublicKeyInfo. Nothing else in
 * the certificate (validity, issuer, extensions) is looked at: it is only a
 * container for the key here. */
static jot_status decode_cert(const unsigned char *der, size_t len, EVP_PKEY **out)
{
    const unsigned char *p = der;
    X509 *x;
    EVP_PKEY *pkey;

    if (len > LONG_MAX)
        return JOT_E_KEY;
    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL)
        return JOT_E_KEY;
    pkey = p == der + len ? X509_get_pubkey(x) : NULL;
    X509_free(x);
    if (pkey == NULL)
        return JOT_E_KEY;
    *out = pkey;
    return JOT_OK;
}

static jot_status decode_block(const char *name, const char *header, const unsigned char *der, size_t len,
                               EVP_PKEY **out)
{
    /* RFC 1421 4.6.1.1: a header (Proc-Type: 4,ENCRYPTED and DEK-Info) only
     * ever says that the block is encrypted. */
    if (header != NULL && header[0] != '\0')
        return JOT_E_KEY;
    if (strcmp(name, "CERTIFICATE") == 0)
        return decode_cert(der, len, out);
    for (size_t i = 0; i < sizeof pem_kinds / sizeof pem_kinds[0]; i++) {
        if (strcmp(name, pem_kinds[i].label) == 0)
            return decode_key(&pem_kinds[i], der, len, out);
    }
    /* "ENCRYPTED PRIVATE KEY" and everything else. */
    return JOT_E_KEY;
}

jot_status jot__pem_load(jot_key *k, const char *pem, size_t len)
{
    BIO *bio;
    EVP_PKEY *pkey = NULL;
    jot_status st = JOT_E_KEY;

    if (k == NULL || pem == NULL)
        return JOT_E_ARG;
    if (len == 0 || len > INT_MAX)
        return JOT_E_KEY;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;

        if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
            break;
        /* `openssl ecparam -genkey` writes the curve's name in a block of
         * its own before the key; the key names its curve again. */
        if (strcmp(name, "EC PARAMETERS") == 0) {
            OPENSSL_free(name);
            OPENSSL_free(header);
            OPENSSL_clear_free(data, (size_t)dlen);
            continue;
        }
        st = dlen > 0 ? decode_block(name, header, data, (size_t)dlen, &pkey) : JOT_E_KEY;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(data, dlen > 0 ? (size_t)dlen : 0);
        break;
    }
    ERR_pop_to_mark();
    BIO_free(bio);
    if (st != JOT_OK)
        return st;
    return jot__pkey_adopt(k, pkey, 1);
}

jot_status jot__pkey_to_pem(const jot_key *k, int private, char **out)
{
    OSSL_ENCODER_CTX *ectx;
    unsigned char *data = NULL;
    size_t len = 0;
    char *text;
    jot_status st = JOT_E_CRYPTO;

    if (k == NULL || out == NULL)
        return JOT_E_ARG;
    if (k->pkey == NULL || (private && !k->priv))
        return JOT_E_KEY;
    /* RFC 7468 13 (SubjectPublicKeyInfo) and 10 (unencrypted PKCS #8). */
    ectx = OSSL_ENCODER_CTX_new_for_pkey((EVP_PKEY *)k->pkey, private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                         "PEM", private ? "PrivateKeyInfo" : "SubjectPublicKeyInfo", NULL);
    if (ectx == NULL)
        return JOT_E_NOMEM;
    ERR_set_mark();
    if (OSSL_ENCODER_CTX_get_num_encoders(ectx) > 0 && OSSL_ENCODER_to_data(ectx, &data, &len) == 1 &&
        data != NULL) {
        /* The caller frees with free() (jot_free), so the text is copied out
         * of OpenSSL's allocator. */
        text = malloc(len + 1);
        if (text == NULL) {
            st = JOT_E_NOMEM;
        } else {
            memcpy(text, data, len);
            text[len] = '\0';
            *out = text;
            st = JOT_OK;
        }
    }
    ERR_pop_to_mark();
    if (data != NULL)
        OPENSSL_clear_free(data, len);
    OSSL_ENCODER_CTX_free(ectx);
    return st;
}
