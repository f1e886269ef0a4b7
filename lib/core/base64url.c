/*
 * base64url without padding (RFC 4648 5; RFC 7515 2 and appendix C), with
 * tables. Decoding is strict: a token has exactly one encoding, so that two
 * different strings never carry the same signed content.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static const char jot_b64_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The decoding of each byte at each of the four positions of a group,
 * already shifted into place; a byte outside the URL-safe alphabet sets
 * bit 31, so that one test per token finds any. */
#define JOT_B64_TABLE(G, B) \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, G(62), B, B, \
    G(52), G(53), G(54), G(55), G(56), G(57), G(58), G(59), G(60), G(61), B, B, B, B, B, B, \
    B, G(0), G(1), G(2), G(3), G(4), G(5), G(6), G(7), G(8), G(9), G(10), G(11), G(12), G(13), G(14), \
    G(15), G(16), G(17), G(18), G(19), G(20), G(21), G(22), G(23), G(24), G(25), B, B, B, B, G(63), \
    B, G(26), G(27), G(28), G(29), G(30), G(31), G(32), G(33), G(34), G(35), G(36), G(37), G(38), G(39), G(40), \
    G(41), G(42), G(43), G(44), G(45), G(46), G(47), G(48), G(49), G(50), G(51), B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, \

#define G0(v) ((uint32_t)(v) << 18)
#define G1(v) ((uint32_t)(v) << 12)
#define G2(v) ((uint32_t)(v) << 6)
#define G3(v) ((uint32_t)(v) << 0)
#define BAD 0x80000000u
static const uint32_t jot_b64_d0[256] = {JOT_B64_TABLE(G0, BAD)};
static const uint32_t jot_b64_d1[256] = {JOT_B64_TABLE(G1, BAD)};
static const uint32_t jot_b64_d2[256] = {JOT_B64_TABLE(G2, BAD)};
static const uint32_t jot_b64_d3[256] = {JOT_B64_TABLE(G3, BAD)};
#undef BAD

/* The two characters of every 12-bit value, so that a group of three
 * bytes encodes with two lookups. Filled once, before first use. */
static char jot_b64_pairs[4096][2];
static pthread_once_t jot_b64_pairs_once = PTHREAD_ONCE_INIT;

static void fill_pairs(void)
{
    for (unsigned v = 0; v < 4096; v++) {
        jot_b64_pairs[v][0] = jot_b64_alphabet[v >> 6];
        jot_b64_pairs[v][1] = jot_b64_alphabet[v & 63];
    }
}

void jot__b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0;
    pthread_once(&jot_b64_pairs_once, fill_pairs);
    for (; i + 3 <= n; i += 3, out += 4) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        memcpy(out, jot_b64_pairs[v >> 12], 2);
        memcpy(out + 2, jot_b64_pairs[v & 0xfff], 2);
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
    uint32_t bad = 0;

    if (n % 4 == 1)
        return -1;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = jot_b64_d0[s[i]] | jot_b64_d1[s[i + 1]] | jot_b64_d2[s[i + 2]] | jot_b64_d3[s[i + 3]];
        bad |= v;
        out[o] = (uint8_t)(v >> 16);
        out[o + 1] = (uint8_t)(v >> 8);
        out[o + 2] = (uint8_t)v;
        o += 3;
    }
    if (n - i == 2) {
        uint32_t v = jot_b64_d0[s[i]] | jot_b64_d1[s[i + 1]];
        /* RFC 4648 3.5: the 4 unused bits of the last character must be 0. */
        bad |= v | (v & 0xf000u ? 0x80000000u : 0u);
        out[o++] = (uint8_t)(v >> 16);
    } else if (n - i == 3) {
        uint32_t v = jot_b64_d0[s[i]] | jot_b64_d1[s[i + 1]] | jot_b64_d2[s[i + 2]];
        bad |= v | (v & 0xc0u ? 0x80000000u : 0u);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
    }
    if (bad & 0x80000000u)
        return -1;
    *out_len = o;
    return 0;
}

size_t jot_base64url_len(size_t n)
{
    return JOT__B64_ENC_LEN(n);
}

void jot_base64url_encode(const void *in, size_t n, char *out)
{
    jot__b64url_encode(in, n, out);
    out[JOT__B64_ENC_LEN(n)] = '\0';
}

jot_status jot_base64url_decode(const char *in, size_t n, void *out, size_t cap, size_t *out_len)
{
    /* The exact length of the decoding (RFC 4648 5: 3 bytes per group of
     * 4 characters, and 1 or 2 for a final group of 2 or 3). */
    size_t len = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    size_t got;

    if ((in == NULL && n > 0) || (out == NULL && cap > 0) || out_len == NULL)
        return JOT_E_ARG;
    if (n % 4 == 1)
        return JOT_E_MALFORMED;
    if (cap < len)
        return JOT_E_ARG;
    if (jot__b64url_decode(in, n, out, &got) != 0) {
        jot_wipe(out, len);
        return JOT_E_MALFORMED;
    }
    *out_len = got;
    return JOT_OK;
}
