/*
 * lib/crypto/generate.c - new key pairs for the asymmetric algorithms.
 * (HMAC secrets are random bytes, made by lib/jwk with jot__random.)
 */
#include <openssl/err.h>

#include "crypto/internal.h"

jot_status jot__pkey_generate(jot_key *k, jot_alg alg, unsigned bits)
{
    EVP_PKEY *pkey = NULL;

    if (k == NULL)
        return JOT_E_ARG;
    ERR_set_mark();
    switch (jot__alg_kty(alg)) {
    case JOT_KTY_RSA:
        /* RFC 7518 3.3 and 3.5: 2048 bits at least. The public exponent is
         * OpenSSL's default, 65537. */
        if (bits == 0)
            bits = 2048;
        if (bits < JOT__RSA_MIN_BITS) {
            ERR_pop_to_mark();
            return JOT_E_WEAK_KEY;
        }
        if (bits > JOT__RSA_MAX_BITS) {
            ERR_pop_to_mark();
            return JOT_E_ARG;
        }
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        break;
    case JOT_KTY_EC:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", jot__crv_name(jot__alg_crv(alg)));
        break;
    case JOT_KTY_OKP:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, bits == 448 ? "ED448" : "ED25519");
        break;
    default:
        ERR_pop_to_mark();
        return JOT_E_ARG;
    }
    ERR_pop_to_mark();
    if (pkey == NULL)
        return JOT_E_CRYPTO;
    /* A fresh key needs none of the checks that a key read from outside
     * gets. */
    return jot__pkey_adopt(k, pkey, 0);
}
