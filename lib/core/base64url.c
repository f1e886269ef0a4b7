/*
 * base64url without padding (RFC 4648 5; RFC 7515 2 and appendix C), with
 * tables. Decoding is strict: a token has exactly one encoding, so that two
 * different strings never carry the same signed content.
 */
#include <stdlib.h>

#include "core/core.h"

static const char jot_b64_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for the URL-safe alphabet, 0xff for anything else. */
static const uint8_t jot_b64_value[256] = {
#define X 0xff
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  /* 0x20: '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 0x30: 0-9 */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 0x40: A- */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  63, /* 0x50: -Z, '_' */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 0x60: a- */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 0x70: -z */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};

void jot__b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = jot_b64_alphabet[v >> 18];
        *out++ = jot_b64_alphabet[(v >> 12) & 63];
        *out++ = jot_b64_alphabet[(v >> 6) & 63];
        *out++ = jot_b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *out++ = jot_b64_alphabet[v >> 18];
        *out++ = jot_b64_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *out++ = jot_b64_alphabet[v >> 18];
        *out++ = jot_b64_alphabet[(v >> 12) & 63];
        *out++ = jot_b64_alphabet[(v >> 6) & 63];
    }
}

char *jot__b64url_encode_str(const uint8_t *in, size_t n)
{
    size_t len = JOT__B64_ENC_LEN(n);
    char *s = malloc(len + 1);
    if (s) {
        jot__b64url_encode(in, n, s);
        s[len] = '\0';
    }
    return s;
}

int jot__b64url_decode(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;

    if (n % 4 == 1)
        return -1;
    for (; i + 4 <= n; i += 4) {
        uint8_t a = jot_b64_value[s[i]], b = jot_b64_value[s[i + 1]];
        uint8_t c = jot_b64_value[s[i + 2]], d = jot_b64_value[s[i + 3]];
        if ((a | b | c | d) & 0x80)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (n - i == 2) {
        uint8_t a = jot_b64_value[s[i]], b = jot_b64_value[s[i + 1]];
        /* RFC 4648 3.5: the 4 unused bits of the last character must be 0. */
        if ((a | b) & 0x80 || (b & 0x0f))
            return -1;
        out[o++] = (uint8_t)(a << 2 | b >> 4);
    } else if (n - i == 3) {
        uint8_t a = jot_b64_value[s[i]], b = jot_b64_value[s[i + 1]], c = jot_b64_value[s[i + 2]];
        if ((a | b | c) & 0x80 || (c & 0x03))
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
    }
    *out_len = o;
    return 0;
}
