/*
 * fuzz_jwk: JWK (RFC 7517 4), JWKS (RFC 7517 5) and key-file parsing.
 *
 * The input goes to jot_key_from_jwk, jot_keyset_from_jwks and
 * jot_keyset_load. Properties: no crash, no leak, only the documented
 * statuses, and every key accepted passes fz_check_key (its RFC 7638
 * thumbprint survives a JWK and a PEM export and re-import, public and
 * private; the private half's signature verifies under the public half). A
 * key set exports to a JWKS that imports again to the same keys.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int key_status_ok(jot_status s)
{
    return s == JOT_OK || s == JOT_E_KEY || s == JOT_E_WEAK_KEY || s == JOT_E_UNSUPPORTED;
}

static void check_set(const jot_keyset *set)
{
    size_t n = jot_keyset_count(set), pub_n = 0;
    FZ_CHECK(n > 0, "an accepted key set is never empty");
    for (size_t i = 0; i < n; i++) {
        const jot_key *k = jot_keyset_get(set, i);
        FZ_CHECK(k != NULL, "key %zu of %zu", i, n);
        fz_check_key(k);
        pub_n += jot_key_type(k) != JOT_KTY_OCT;
        if (jot_key_kid(k))
            FZ_CHECK(jot_keyset_find(set, jot_key_kid(k)) != NULL, "kid not found");
    }
    /* Through a JWKS and back: the same keys in the same order (HMAC keys
     * have no public half and are left out of a public set). */
    for (unsigned flags = JOT_JWK_PUBLIC; flags <= JOT_JWK_PRIVATE; flags++) {
        char *text = NULL;
        jot_keyset *set2 = NULL;
        jot_status s = jot_keyset_to_jwks(set, flags, &text);
        FZ_CHECK(s == JOT_OK, "JWKS export: %s", jot_strerror(s));
        s = jot_keyset_from_jwks(text, strlen(text), &set2);
        size_t want = flags == JOT_JWK_PUBLIC ? pub_n : n;
        if (want == 0) {
            FZ_CHECK(s == JOT_E_KEY, "an empty JWKS: %s", jot_strerror(s));
        } else {
            FZ_CHECK(s == JOT_OK, "JWKS re-import: %s\n  %s", jot_strerror(s), text);
            /* Keys that are not for signatures ("use":"enc") are kept by
             * jot_keyset_load and skipped by jot_keyset_from_jwks; the
             * export drops "use", so every key must come back. */
            FZ_CHECK(jot_keyset_count(set2) == want, "JWKS re-import: %zu keys, not %zu",
                     jot_keyset_count(set2), want);
            size_t j = 0;
            for (size_t i = 0; i < n; i++) {
                const jot_key *k = jot_keyset_get(set, i);
                if (flags == JOT_JWK_PUBLIC && jot_key_type(k) == JOT_KTY_OCT)
                    continue;
                char t1[44], t2[44];
                const jot_key *k2 = jot_keyset_get(set2, j++);
                FZ_CHECK(jot_key_thumbprint(k, t1) == JOT_OK && jot_key_thumbprint(k2, t2) == JOT_OK &&
                             strcmp(t1, t2) == 0,
                         "JWKS round trip changed key %zu", i);
            }
        }
        jot_free(text);
        jot_keyset_free(set2);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    if (!data)
        data = empty; /* libFuzzer may pass NULL for an empty input */
    const char *text = (const char *)data;
    jot_key *k = NULL;
    jot_keyset *set = NULL;

    jot_status s = jot_key_from_jwk(text, size, &k);
    FZ_CHECK(key_status_ok(s), "jot_key_from_jwk: %s", jot_strerror(s));
    FZ_CHECK((s == JOT_OK) == (k != NULL), "output only on success");
    if (k)
        fz_check_key(k);
    jot_key_free(k);

    s = jot_keyset_from_jwks(text, size, &set);
    FZ_CHECK(key_status_ok(s), "jot_keyset_from_jwks: %s", jot_strerror(s));
    FZ_CHECK((s == JOT_OK) == (set != NULL), "output only on success");
    if (set)
        check_set(set);
    jot_keyset_free(set);

    set = NULL;
    s = jot_keyset_load(text, size, &set);
    /* An empty text goes to jot_key_from_pem, which calls it JOT_E_ARG. */
    FZ_CHECK(key_status_ok(s) || (s == JOT_E_ARG && size == 0), "jot_keyset_load: %s", jot_strerror(s));
    FZ_CHECK((s == JOT_OK) == (set != NULL), "output only on success");
    if (set)
        check_set(set);
    jot_keyset_free(set);
    return 0;
}
