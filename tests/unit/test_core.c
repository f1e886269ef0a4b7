/* lib/core: base64url strictness and round trips, the JSON wrapper's
 * bounds, the error table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static void test_b64url_rfc4648(void **state)
{
    (void)state;
    /* RFC 4648 10 vectors, in the URL-safe alphabet without padding. */
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},         {"foo", "Zm9v"},
             {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *enc = jot__b64url_encode_str((const uint8_t *)v[i].in, strlen(v[i].in));
        assert_non_null(enc);
        assert_string_equal(enc, v[i].out);
        free(enc);
        uint8_t dec[16];
        size_t n = 99;
        assert_int_equal(jot__b64url_decode(v[i].out, strlen(v[i].out), dec, &n), 0);
        assert_int_equal(n, strlen(v[i].in));
        assert_memory_equal(dec, v[i].in, n);
    }
}

static void test_b64url_alphabet(void **state)
{
    (void)state;
    /* 0xfb 0xff encodes with both URL-safe characters. */
    const uint8_t in[] = {0xfb, 0xff, 0xbf};
    char *enc = jot__b64url_encode_str(in, sizeof in);
    assert_string_equal(enc, "-_-_");
    free(enc);
}

static void test_b64url_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",  /* padding */
        "Zm9v+", /* standard alphabet */
        "Zm9/",  /* standard alphabet */
        "Zh",    /* non-zero trailing bits (canonical form is Zg) */
        "Zm8",   /* fine: "fo" */
        "Zm-",   /* 'm-' leaves bits set: 0x2d -> 62, low 2 bits 10 */
        "Z",     /* length 1 mod 4 */
        "Zm 9v", /* white space */
        "Zm\n9v",
        "Zm9v\0A",
    };
    uint8_t out[16];
    size_t n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = i == 9 ? 6 : strlen(bad[i]);
        int r = jot__b64url_decode(bad[i], len, out, &n);
        if (i == 4)
            assert_int_equal(r, 0);
        else
            assert_int_not_equal(r, 0);
    }
}

static void test_b64url_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[300], dec[310];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 151u + 7u);
    for (size_t n = 0; n <= sizeof buf; n++) {
        char *enc = jot__b64url_encode_str(buf, n);
        assert_int_equal(strlen(enc), JOT__B64_ENC_LEN(n));
        size_t m;
        assert_int_equal(jot__b64url_decode(enc, strlen(enc), dec, &m), 0);
        assert_int_equal(m, n);
        assert_memory_equal(dec, buf, n);
        free(enc);
    }
}

static void test_json_bounds(void **state)
{
    (void)state;
    json_t *o;
    jot_diag d;
    jot_diag_init(&d);
    assert_int_equal(jot__json_object("{\"a\":1,\"a\":2}", 13, &o, &d, "x"), JOT_E_MALFORMED);
    assert_int_equal(d.status, JOT_E_MALFORMED);
    assert_non_null(strstr(d.text, "x"));
    assert_int_equal(jot__json_object("[1]", 3, &o, NULL, "x"), JOT_E_MALFORMED);
    assert_int_equal(jot__json_object("{} x", 4, &o, NULL, "x"), JOT_E_MALFORMED);
    assert_int_equal(jot__json_object("{\"a\":\"\\u0000\"}", 14, &o, NULL, "x"), JOT_E_MALFORMED);
    assert_int_equal(jot__json_object("{\"a\":\"\xff\"}", 8, &o, NULL, "x"), JOT_E_MALFORMED);

    /* Nesting is refused before Jansson sees it; brackets inside strings
     * do not count. */
    char deep[4096];
    size_t n = 0;
    deep[n++] = '{';
    deep[n++] = '"';
    deep[n++] = 'a';
    deep[n++] = '"';
    deep[n++] = ':';
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_int_equal(jot__json_object(deep, n, &o, NULL, "x"), JOT_E_MALFORMED);
    const char *ok = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\",\"b\":[[[1]]]}";
    assert_int_equal(jot__json_object(ok, strlen(ok), &o, NULL, "x"), JOT_OK);
    json_decref(o);
}

static void test_error_table(void **state)
{
    (void)state;
    assert_string_equal(jot_status_code(JOT_E_BAD_SIGNATURE), "bad-signature");
    assert_string_equal(jot_status_code(JOT_E_ALG_NOT_ALLOWED), "alg-not-allowed");
    assert_string_equal(jot_status_code(JOT_E_MISSING_CLAIM), "missing-claim");
    assert_string_equal(jot_status_code(JOT_E_NOMEM), "no-memory");
    assert_string_equal(jot_status_code(JOT_E_WEAK_KEY), "weak-key");
    assert_string_equal(jot_status_code((jot_status)9999), "error");
    assert_string_equal(jot_strerror((jot_status)9999), "unknown error");
    jot_diag d;
    jot_diag_init(&d);
    jot__fail(&d, JOT_E_EXPIRED, "first %d", 1);
    jot__fail(&d, JOT_E_MALFORMED, "second");
    assert_int_equal(d.status, JOT_E_EXPIRED);
    assert_string_equal(d.text, "first 1");
    assert_int_equal(jot__fail(NULL, JOT_E_MALFORMED, "x"), JOT_E_MALFORMED);
}

static void test_alg_names(void **state)
{
    (void)state;
    for (int a = 1; a <= JOT_ALG_MAX; a++) {
        const char *n = jot_alg_name((jot_alg)a);
        assert_non_null(n);
        assert_int_equal(jot_alg_from_name(n, strlen(n)), a);
    }
    assert_int_equal(jot_alg_from_name("none", 4), JOT_ALG_UNSET);
    assert_int_equal(jot_alg_from_name("hs256", 5), JOT_ALG_UNSET);
    assert_int_equal(jot_alg_from_name("HS256x", 6), JOT_ALG_UNSET);
    assert_int_equal(jot_alg_from_name("HS25", 4), JOT_ALG_UNSET);
    assert_null(jot_alg_name(JOT_ALG_UNSET));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_rfc4648), cmocka_unit_test(test_b64url_alphabet),
        cmocka_unit_test(test_b64url_strict),  cmocka_unit_test(test_b64url_roundtrip),
        cmocka_unit_test(test_json_bounds),    cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_alg_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
