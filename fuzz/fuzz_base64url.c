/*
 * fuzz_base64url: the strict base64url of RFC 7515 2 (RFC 4648 5, no
 * padding, canonical: RFC 4648 3.5).
 *
 * Properties, the input taken both as bytes and as text:
 *  - decode(encode(x)) == x, with the lengths JOT__B64_ENC_LEN promises;
 *  - a text decodes exactly when a reference check independent of the
 *    decoder says it is canonical base64url (alphabet, length not 1 mod 4,
 *    unused trailing bits zero), and then encode(decode(s)) == s: one
 *    encoding per byte string, so that two different tokens never carry the
 *    same signed content.
 * Buffers are allocated at exactly the documented sizes, so that
 * AddressSanitizer sees any write past them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* The reference: canonical unpadded base64url. */
static int canonical(const uint8_t *s, size_t n)
{
    if (n % 4 == 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (value(s[i]) < 0)
            return 0;
    if (n % 4 == 2)
        return (value(s[n - 1]) & 0x0f) == 0;
    if (n % 4 == 3)
        return (value(s[n - 1]) & 0x03) == 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    if (!data)
        data = empty; /* libFuzzer may pass NULL for an empty input */
    /* As bytes: encode, then decode. */
    size_t elen = JOT__B64_ENC_LEN(size);
    FZ_CHECK(elen == (size * 4 + 2) / 3, "JOT__B64_ENC_LEN(%zu) = %zu", size, elen);
    char *enc = malloc(elen ? elen : 1);
    FZ_CHECK(enc != NULL, "out of memory");
    jot__b64url_encode(data, size, enc);
    FZ_CHECK(canonical((const uint8_t *)enc, elen), "the encoder wrote a non-canonical text");
    char *str = jot__b64url_encode_str(data, size);
    FZ_CHECK(str && strlen(str) == elen && memcmp(str, enc, elen) == 0, "encode_str differs from encode");
    free(str);
    size_t dmax = JOT__B64_DEC_MAX(elen), dlen = (size_t)-1;
    uint8_t *dec = malloc(dmax);
    FZ_CHECK(dec != NULL, "out of memory");
    FZ_CHECK(jot__b64url_decode(enc, elen, dec, &dlen) == 0, "the decoder refused the encoder's output");
    FZ_CHECK(dlen == size && memcmp(dec, data, size) == 0, "decode(encode(x)) != x (%zu bytes, got %zu)", size,
             dlen);
    free(dec);
    free(enc);

    /* As text: decode when canonical, then encode again. */
    dmax = JOT__B64_DEC_MAX(size);
    dec = malloc(dmax);
    FZ_CHECK(dec != NULL, "out of memory");
    dlen = (size_t)-1;
    int ok = jot__b64url_decode((const char *)data, size, dec, &dlen) == 0;
    FZ_CHECK(ok == canonical(data, size), "the decoder %s a text the reference %s", ok ? "accepted" : "refused",
             ok ? "refuses" : "accepts");
    if (ok) {
        FZ_CHECK(dlen == size / 4 * 3 + (size % 4 ? size % 4 - 1 : 0) && dlen <= dmax, "decoded length %zu of %zu",
                 dlen, size);
        enc = malloc(JOT__B64_ENC_LEN(dlen) + 1);
        FZ_CHECK(enc != NULL, "out of memory");
        jot__b64url_encode(dec, dlen, enc);
        FZ_CHECK(JOT__B64_ENC_LEN(dlen) == size && memcmp(enc, data, size) == 0, "encode(decode(s)) != s");
        free(enc);
    }
    free(dec);
    return 0;
}
