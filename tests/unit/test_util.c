/* jot/util.h through the public API only, as jotd and other programs use
 * it: base64url, wipe, constant-time compare, UTF-8 and JSON depth checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jot/jot.h>

/* RFC 4648 10, in the URL-safe alphabet without padding. */
static const struct {
    const char *bytes, *text;
} rfc4648[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},         {"foo", "Zm9v"},
               {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};

static void test_base64url_len(void **state)
{
    (void)state;
    static const size_t want[] = {0, 2, 3, 4, 6, 7, 8, 10, 11, 12};
    for (size_t n = 0; n < sizeof want / sizeof want[0]; n++)
        assert_int_equal(jot_base64url_len(n), want[n]);
    /* The largest length the header promises, without overflow. */
    assert_int_equal(jot_base64url_len(SIZE_MAX / 4 * 3), SIZE_MAX / 4 * 4);
}

static void test_base64url_encode(void **state)
{
    (void)state;
    char out[16];
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        size_t n = strlen(rfc4648[i].bytes), len = jot_base64url_len(n);
        memset(out, 'x', sizeof out);
        jot_base64url_encode(rfc4648[i].bytes, n, out);
        assert_int_equal(len, strlen(rfc4648[i].text));
        assert_memory_equal(out, rfc4648[i].text, len);
        /* NUL-terminated, and not one byte further. */
        assert_int_equal(out[len], '\0');
        assert_int_equal(out[len + 1], 'x');
    }
    /* Both URL-safe characters, and no padding. */
    static const uint8_t hi[] = {0xfb, 0xff, 0xbf, 0xff};
    jot_base64url_encode(hi, sizeof hi, out);
    assert_string_equal(out, "-_-__w");
    jot_base64url_encode(NULL, 0, out);
    assert_string_equal(out, "");
}

static void test_base64url_decode(void **state)
{
    (void)state;
    uint8_t out[16];
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        size_t n = strlen(rfc4648[i].bytes), got = 99;
        /* cap exactly the decoding: nothing written past it. */
        memset(out, 0xaa, sizeof out);
        assert_int_equal(jot_base64url_decode(rfc4648[i].text, strlen(rfc4648[i].text), out, n, &got), JOT_OK);
        assert_int_equal(got, n);
        assert_memory_equal(out, rfc4648[i].bytes, n);
        assert_int_equal(out[n], 0xaa);
    }
    size_t got = 99;
    assert_int_equal(jot_base64url_decode("-_-__w", 6, out, sizeof out, &got), JOT_OK);
    assert_int_equal(got, 4);
    assert_memory_equal(out, "\xfb\xff\xbf\xff", 4);
    /* Only the n characters given are read. */
    assert_int_equal(jot_base64url_decode("Zm9vYmFy", 4, out, sizeof out, &got), JOT_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(out, "foo", 3);
    assert_int_equal(jot_base64url_decode(NULL, 0, NULL, 0, &got), JOT_OK);
    assert_int_equal(got, 0);
}

static void test_base64url_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",     /* padding */
        "Zm9v+A",   /* standard alphabet */
        "Zm9/",     /* standard alphabet */
        "Zh",       /* unused bits set: the canonical text is Zg */
        "Zm-",      /* likewise: "fo" is Zm8 */
        "Z",        /* length 1 modulo 4 */
        "Zm9vY",    /* likewise */
        "Zm 9v",    /* white space */
        "Zm9v\nYg", /* a line break */
        "Zm9v.mFy", /* a dot, as between a token's segments */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[16];
        size_t got = 99;
        memset(out, 0xaa, sizeof out);
        assert_int_equal(jot_base64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &got), JOT_E_MALFORMED);
        assert_int_equal(got, 99);
    }
    /* A NUL is one more character outside the alphabet. */
    uint8_t out[16];
    size_t got = 99;
    assert_int_equal(jot_base64url_decode("Zm9v\0A", 6, out, sizeof out, &got), JOT_E_MALFORMED);
    /* Nothing of a refused text is handed back: the good first group that
     * was decoded is zeroed again. */
    memset(out, 0xaa, sizeof out);
    assert_int_equal(jot_base64url_decode("Zm9vYm!y", 8, out, sizeof out, &got), JOT_E_MALFORMED);
    static const uint8_t zeros[6];
    assert_memory_equal(out, zeros, 6);
    assert_int_equal(got, 99);
}

static void test_base64url_args(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t got = 99;
    /* cap one short of the decoding: refused before anything is written. */
    memset(out, 0xaa, sizeof out);
    assert_int_equal(jot_base64url_decode("Zm9vYg", 6, out, 3, &got), JOT_E_ARG);
    assert_int_equal(out[0], 0xaa);
    assert_int_equal(jot_base64url_decode("Zm9v", 4, out, 2, &got), JOT_E_ARG);
    assert_int_equal(jot_base64url_decode("Zm9v", 4, NULL, 0, &got), JOT_E_ARG);
    assert_int_equal(jot_base64url_decode("Zm9v", 4, NULL, 3, &got), JOT_E_ARG);
    assert_int_equal(jot_base64url_decode(NULL, 4, out, sizeof out, &got), JOT_E_ARG);
    assert_int_equal(jot_base64url_decode("Zm9v", 4, out, sizeof out, NULL), JOT_E_ARG);
    assert_int_equal(got, 99);
    /* A length that no base64url text has is malformed, whatever the room. */
    assert_int_equal(jot_base64url_decode("Zm9vY", 5, out, 0, &got), JOT_E_MALFORMED);
}

static void test_base64url_roundtrip(void **state)
{
    (void)state;
    uint8_t in[100], back[100];
    char text[140];
    for (size_t n = 0; n <= sizeof in; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(i * 97u + n * 31u);
        jot_base64url_encode(in, n, text);
        assert_int_equal(strlen(text), jot_base64url_len(n));
        size_t got = 0;
        assert_int_equal(jot_base64url_decode(text, strlen(text), back, n, &got), JOT_OK);
        assert_int_equal(got, n);
        assert_memory_equal(back, in, n);
    }
}

static void test_wipe(void **state)
{
    (void)state;
    uint8_t buf[32];
    memset(buf, 0x5a, sizeof buf);
    jot_wipe(buf + 8, 16);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], i >= 8 && i < 24 ? 0 : 0x5a);
    jot_wipe(buf, 0);
    assert_int_equal(buf[0], 0x5a);
    jot_wipe(NULL, 0);
    jot_wipe(NULL, 16);

    /* On the heap, just before the memory goes (what the compiler would
     * drop as a dead store without the wipe's guarantee). */
    char *secret = malloc(16);
    assert_non_null(secret);
    memcpy(secret, "0123456789abcdef", 16);
    jot_wipe(secret, 16);
    static const char zeros[16];
    assert_memory_equal(secret, zeros, 16);
    free(secret);
}

static void test_equal(void **state)
{
    (void)state;
    assert_int_equal(jot_equal("abcd", "abcd", 4), 1);
    assert_int_equal(jot_equal("abcd", "xbcd", 4), 0);
    assert_int_equal(jot_equal("abcd", "abce", 4), 0);
    /* Only n bytes count. */
    assert_int_equal(jot_equal("abcX", "abcY", 3), 1);
    /* Bytes with the top bit set differ from those without. */
    assert_int_equal(jot_equal("\x80", "\x00", 1), 0);
    assert_int_equal(jot_equal("\xff\x01", "\x7f\x01", 2), 0);
    assert_int_equal(jot_equal(NULL, NULL, 0), 1);
    assert_int_equal(jot_equal("x", "y", 0), 1);
    uint8_t a[64], b[64];
    memset(a, 7, sizeof a);
    memset(b, 7, sizeof b);
    assert_int_equal(jot_equal(a, b, sizeof a), 1);
    b[63] ^= 1;
    assert_int_equal(jot_equal(a, b, sizeof a), 0);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int valid;
    } v[] = {
        {"", 1},
        {"plain ASCII", 1},
        {"\xc3\xa9", 1},             /* U+00E9 */
        {"\xe2\x82\xac", 1},         /* U+20AC */
        {"\xed\x9f\xbf", 1},         /* U+D7FF, below the surrogates */
        {"\xee\x80\x80", 1},         /* U+E000, above them */
        {"\xef\xbf\xbf", 1},         /* U+FFFF */
        {"\xf0\x90\x80\x80", 1},     /* U+10000 */
        {"\xf4\x8f\xbf\xbf", 1},     /* U+10FFFF */
        {"a\xc3\xa9z\xe2\x82\xac", 1},
        {"\x80", 0},                 /* a continuation byte alone */
        {"\xc3", 0},                 /* a sequence cut short */
        {"\xe2\x82", 0},
        {"\xe2\x82\x41", 0},         /* not a continuation byte */
        {"\xc0\x80", 0},             /* overlong NUL */
        {"\xc1\xbf", 0},             /* overlong */
        {"\xe0\x80\x80", 0},         /* overlong, 3 bytes */
        {"\xe0\x9f\xbf", 0},
        {"\xf0\x80\x80\x80", 0},     /* overlong, 4 bytes */
        {"\xf0\x8f\xbf\xbf", 0},
        {"\xed\xa0\x80", 0},         /* U+D800, a surrogate */
        {"\xed\xbf\xbf", 0},         /* U+DFFF */
        {"\xf4\x90\x80\x80", 0},     /* U+110000 */
        {"\xf5\x80\x80\x80", 0},
        {"\xfe", 0},
        {"\xff", 0},
        {"ok\xff", 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(jot_utf8_valid(v[i].s, strlen(v[i].s)), v[i].valid);
    /* A NUL byte is UTF-8; only the n bytes given count. */
    assert_int_equal(jot_utf8_valid("a\0b", 3), 1);
    assert_int_equal(jot_utf8_valid("\xc3\xa9", 1), 0);
    assert_int_equal(jot_utf8_valid("ab\xff", 2), 1);
    assert_int_equal(jot_utf8_valid(NULL, 0), 1);
}

static void test_json_depth_ok(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        size_t max;
        int ok;
    } v[] = {
        {"", 0, 1},
        {"1", 0, 1},
        {"[]", 0, 0},
        {"[]", 1, 1},
        {"{}", 0, 0},
        {"[[]]", 1, 0},
        {"[[]]", 2, 1},
        {"{\"a\":[{}]}", 2, 0},
        {"{\"a\":[{}]}", 3, 1},
        {"[][][]", 1, 1},            /* side by side is not deeper */
        {"\"[[[[\"", 0, 1},          /* brackets in a string do not count */
        {"\"\\\"[[\"", 0, 1},        /* nor after an escaped quote */
        {"\"\\\\\"[", 0, 0},         /* an escaped backslash ends no string */
        {"[\"]\"]", 1, 1},
        {"]]]][[", 2, 1},            /* a stray closer does not go below 0 */
        {"]]]][[", 1, 0},
        {"[1, {\"b\": [true]}]", 3, 1},
        {"[1, {\"b\": [true]}]", 2, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(jot_json_depth_ok(v[i].json, strlen(v[i].json), v[i].max), v[i].ok);
    /* Only the n bytes given count. */
    assert_int_equal(jot_json_depth_ok("[[", 1, 1), 1);
    assert_int_equal(jot_json_depth_ok("[[", 2, 1), 0);
    assert_int_equal(jot_json_depth_ok(NULL, 0, 0), 1);

    /* A thousand levels: counted, not recursed into. */
    char deep[2000];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    assert_int_equal(jot_json_depth_ok(deep, sizeof deep, 999), 0);
    assert_int_equal(jot_json_depth_ok(deep, sizeof deep, 1000), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64url_len),    cmocka_unit_test(test_base64url_encode),
        cmocka_unit_test(test_base64url_decode), cmocka_unit_test(test_base64url_strict),
        cmocka_unit_test(test_base64url_args),   cmocka_unit_test(test_base64url_roundtrip),
        cmocka_unit_test(test_wipe),             cmocka_unit_test(test_equal),
        cmocka_unit_test(test_utf8_valid),       cmocka_unit_test(test_json_depth_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
