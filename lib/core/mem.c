/*
 * Wiping and constant-time comparison; see jot/util.h. These two are the
 * only OpenSSL functions outside lib/crypto: OpenSSL's are written so that
 * no compiler optimises them away (assembly on the usual CPUs).
 */
#include <openssl/crypto.h>

#include "core/core.h"

void jot_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}

int jot_equal(const void *a, const void *b, size_t n)
{
    return n == 0 || CRYPTO_memcmp(a, b, n) == 0;
}
