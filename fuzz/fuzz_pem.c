/*
 * fuzz_pem: PEM key loading (SPKI, PKCS#8, PKCS#1, SEC 1, X.509).
 *
 * Properties: no crash, no leak, only the documented statuses (an encrypted
 * or unusable PEM is JOT_E_KEY, never a prompt for a passphrase or an
 * OpenSSL failure), and every key accepted passes fz_check_key: its
 * thumbprint survives JWK and PEM round trips, and a private key signs what
 * its public half verifies.
 */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    if (!data)
        data = empty; /* libFuzzer may pass NULL for an empty input */
    jot_key *k = NULL;
    jot_status s = jot_key_from_pem((const char *)data, size, &k);
    /* An empty text is JOT_E_ARG (jot/jwk.h lists it), anything else a key
     * or not. */
    FZ_CHECK(s == JOT_OK || s == JOT_E_KEY || s == JOT_E_WEAK_KEY || (s == JOT_E_ARG && size == 0),
             "jot_key_from_pem: %s", jot_strerror(s));
    FZ_CHECK((s == JOT_OK) == (k != NULL), "output only on success");
    if (k) {
        FZ_CHECK(jot_key_type(k) != JOT_KTY_OCT, "a PEM key is never an HMAC secret");
        FZ_CHECK(jot_key_kid(k) == NULL && jot_key_alg(k) == JOT_ALG_UNSET, "a PEM names no kid or alg");
        fz_check_key(k);
    }
    jot_key_free(k);
    return 0;
}
