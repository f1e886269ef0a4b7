/* The verify path's JSON scanner must accept what the Jansson wrapper
 * accepts, and numbers of any size besides: hand-picked cases, then a
 * differential run over many random mutations of JWT-like texts. Then the
 * numbers themselves: read into int64 (jot__jnum_int64) and printed as
 * written (jot__json_compact). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/jscan.h"

/* 1 when the scanner and Jansson agree on text; prints it otherwise. A
 * number beyond Jansson's range (64-bit integers, finite doubles) is the
 * one thing Jansson refuses and the scanner takes (RFC 8259 6 sets no
 * bound): such a text is left to the cases below and to fuzz_jscan. */
static int agree(const char *text, size_t n)
{
    json_t *j;
    jot__jdoc doc;
    jot_diag d;
    jot_diag_init(&d);
    jot_status a = jot__json_object(text, n, &j, &d, "t");
    jot_status b = jot__jscan_object(text, n, &doc, NULL, "t");
    if (a == JOT_OK) {
        /* Same top-level members, in the same order. */
        if (b == JOT_OK && json_object_size(j) != doc.count)
            b = JOT_E_ARG;
        json_decref(j);
    }
    if (b == JOT_OK)
        jot__jdoc_release(&doc);
    if (a != JOT_OK && (strstr(d.text, "too big") || strstr(d.text, "real number overflow")))
        return 1;
    if ((a == JOT_OK) != (b == JOT_OK)) {
        fprintf(stderr, "disagree (jansson %d, scanner %d) on: ", a, b);
        fwrite(text, 1, n, stderr);
        fputc('\n', stderr);
        return 0;
    }
    return 1;
}

static void test_cases(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{}", " { } ", "{\"a\":1}", "{\"a\":-0}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e5}",
        "{\"a\":1E+5}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":1.5e-3}", "{\"a\":9223372036854775807}",
        "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775808}", "{\"a\":-9223372036854775809}",
        "{\"a\":12345678901234567890}", "{\"a\":1e400}", "{\"a\":-1e400}", "{\"a\":1e-400}", "{\"a\":true}",
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":null,\"b\":false}", "{\"a\":[]}", "{\"a\":[1,]}", "{\"a\":[,1]}",
        "{\"a\":[1 2]}", "{\"a\":{\"b\":{}}}", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\":1}x",
        "{\"a\":1}{}", "[]", "\"s\"", "1", "", " ", "{", "{\"a\"", "{\"a\":", "{\"a\":\"x", "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"\\u0061\":2}", "{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":[{\"b\":1,\"b\":2}]}",
        "{\"a\":{\"b\":1},\"b\":{\"b\":1}}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\\u0041\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}", "{\"a\":\"\t\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"\xc3\xa9\"}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xe0\x80\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xf0\x9f\x98\x80\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xe2\x82\"}", "{\"\xc3\xa9\":1}",
        "{\"a\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}", "{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}",
        "{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", "{\"a\":\"[[[[[[[[[[[[[[[[[[[[\"}", "\xef\xbb\xbf{}",
        "{\"a\":1}\n", "{\"a\":1}\x00", "{\"a\":+1}", "{\"a\":0x10}", "{\"a\":Infinity}", "{\"a\":NaN}",
        "{'a':1}", "{\"a\":\"b\"\"c\"}", "{\"a\":\"\\u00e9\",\"\xc3\xa9\":1}", "{\"\xc3\xa9\":1,\"\\u00e9\":2}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i]);
        if (strcmp(cases[i], "{\"a\":1}") == 0 && i > 60)
            n = 8; /* the case with a NUL byte after it */
        assert_true(agree(cases[i], n));
    }
}

static void test_members(void **state)
{
    (void)state;
    const char *t = "{\"iss\":\"jo\\u0065\",\"exp\":1300819380,\"aud\":[\"a\",\"b\\\"c\"],\"x\":{\"y\":[1]},\"r\":1.5}";
    jot__jdoc doc;
    assert_int_equal(jot__jscan_object(t, strlen(t), &doc, NULL, "t"), JOT_OK);
    assert_int_equal(doc.count, 5);
    const jot__jmember *iss = jot__jdoc_get(&doc, "iss");
    assert_non_null(iss);
    assert_int_equal(iss->type, JOT__J_STRING);
    assert_true(jot__jstr_equals(iss->value, iss->value_len, iss->value_escaped, "joe", 3));
    assert_false(jot__jstr_equals(iss->value, iss->value_len, iss->value_escaped, "jo", 2));
    const jot__jmember *exp = jot__jdoc_get(&doc, "exp");
    assert_int_equal(exp->type, JOT__J_INTEGER);
    assert_true(jot__jnum_value(exp) == 1300819380.0);
    assert_true(jot__jnum_value(jot__jdoc_get(&doc, "r")) == 1.5);
    const jot__jmember *aud = jot__jdoc_get(&doc, "aud");
    assert_int_equal(aud->type, JOT__J_ARRAY);
    size_t pos = 0;
    jot__jmember el;
    assert_true(jot__jarray_next(aud->value, aud->value_len, &pos, &el));
    assert_true(jot__jstr_equals(el.value, el.value_len, el.value_escaped, "a", 1));
    assert_true(jot__jarray_next(aud->value, aud->value_len, &pos, &el));
    assert_true(jot__jstr_equals(el.value, el.value_len, el.value_escaped, "b\"c", 3));
    assert_false(jot__jarray_next(aud->value, aud->value_len, &pos, &el));
    assert_int_equal(jot__jdoc_get(&doc, "x")->type, JOT__J_OBJECT);
    assert_null(jot__jdoc_get(&doc, "y"));
    jot__jdoc_release(&doc);

    /* Many members spill to the heap. */
    char big[4096];
    size_t n = 0;
    big[n++] = '{';
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s\"m%d\":%d", i ? "," : "", i, i);
    big[n++] = '}';
    assert_int_equal(jot__jscan_object(big, n, &doc, NULL, "t"), JOT_OK);
    assert_int_equal(doc.count, 100);
    assert_non_null(jot__jdoc_get(&doc, "m99"));
    jot__jdoc_release(&doc);
}

/* xorshift, so that a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_differential(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"iss\":\"https://auth.example.com\",\"sub\":\"1234591\",\"aud\":[\"api\",\"x\"],\"iat\":1764000000,"
        "\"exp\":4102444800.5,\"n\":{\"a\":[true,false,null,-1.5e3]},\"s\":\"\\u00e9\\ud83d\\ude00\\n\xc3\xa9\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"crit\":[\"b64\"],\"b64\":false}",
    };
    static const char alphabet[] = "{}[]\",:\\u0123456789abcdefDE+-.eE tfn \x80\xc3\xa9\xed\xf0\x00\x1f";
    char buf[512];
    unsigned long checked = 0;
    for (int round = 0; round < 200000; round++) {
        const char *seed = seeds[rnd() % 2];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + (int)(rnd() % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(rnd() % n);
            char c = alphabet[rnd() % (sizeof alphabet - 1)];
            switch (rnd() % 3) {
            case 0: buf[at] = c; break;
            case 1:
                if (n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = c;
                    n++;
                }
                break;
            default:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            }
            if (n == 0)
                break;
        }
        assert_true(agree(buf, n));
        checked++;
    }
    printf("jscan: %lu mutated texts, scanner and Jansson agree on all\n", checked);
}

/* RFC 8259 6: any number is valid JSON, whatever its size. */
static void test_big_numbers(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "{\"a\":9223372036854775808}", "{\"a\":18446744073709551615}", "{\"a\":-9223372036854775809}",
        "{\"a\":123456789012345678901234567890123456789}", "{\"a\":1e400}", "{\"a\":-1e400}",
        "{\"a\":1e-400}", "{\"a\":[1e999,-0,-0.0]}",
    };
    static const char *const invalid[] = {"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":-}",
                                          "{\"a\":+1}", "{\"a\":1e+}", "{\"a\":0x1}", "{\"a\":Infinity}"};
    jot__jdoc doc;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        assert_int_equal(jot__jscan_object(valid[i], strlen(valid[i]), &doc, NULL, "t"), JOT_OK);
        jot__jdoc_release(&doc);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        assert_int_equal(jot__jscan_object(invalid[i], strlen(invalid[i]), &doc, NULL, "t"), JOT_E_MALFORMED);
}

/* A number's value in int64: exactly for integers, truncated for the rest,
 * refused beyond int64. */
static void test_int64(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
        int64_t v;
    } cases[] = {
        {"0", 1, 0}, {"-0", 1, 0}, {"-0.0", 1, 0}, {"1700000000", 1, 1700000000}, {"1700000000.9", 1, 1700000000},
        {"-1.9", 1, -1}, {"1e3", 1, 1000}, {"1E+3", 1, 1000}, {"25e-1", 1, 2},
        {"9223372036854775807", 1, INT64_MAX}, {"-9223372036854775808", 1, INT64_MIN},
        {"9223372036854775808", 0, 0}, {"-9223372036854775809", 0, 0}, {"18446744073709551615", 0, 0},
        {"99999999999999999999999", 0, 0}, {"00000", 0, 0}, {"9.2233720368547748e18", 1, 9223372036854774784},
        {"9223372036854775807.0", 0, 0}, /* the double is 2^63 */
        {"-9223372036854775808.0", 1, INT64_MIN}, {"1e19", 0, 0}, {"1e300", 0, 0}, {"-1e300", 0, 0},
        {"1e400", 0, 0}, {"-1e400", 0, 0}, {"1e-400", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        jot__jdoc doc;
        snprintf(text, sizeof text, "{\"n\":%s}", cases[i].text);
        if (strcmp(cases[i].text, "00000") == 0) {
            /* Not JSON: the scanner never hands such a span out. */
            assert_int_equal(jot__jscan_object(text, strlen(text), &doc, NULL, "t"), JOT_E_MALFORMED);
            continue;
        }
        assert_int_equal(jot__jscan_object(text, strlen(text), &doc, NULL, "t"), JOT_OK);
        int64_t v = 42;
        int got = jot__jnum_int64(jot__jdoc_get(&doc, "n"), &v) == 0;
        if (got != cases[i].ok || (got && v != cases[i].v))
            fail_msg("%s: got %d %lld, want %d %lld", cases[i].text, got, (long long)v, cases[i].ok,
                     (long long)cases[i].v);
        if (!got)
            assert_int_equal(v, 42); /* untouched */
        jot__jdoc_release(&doc);
    }
    /* Not a number at all. */
    jot__jdoc doc;
    int64_t v;
    assert_int_equal(jot__jscan_object("{\"s\":\"1\"}", 9, &doc, NULL, "t"), JOT_OK);
    assert_int_equal(jot__jnum_int64(jot__jdoc_get(&doc, "s"), &v), -1);
    jot__jdoc_release(&doc);
}

/* The one-line text printed for claims: numbers as written, white space
 * between tokens gone, strings escaped as Jansson escapes them. */
static void test_compact(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"{\"a\":5.01,\"b\":1e300,\"c\":-0,\"d\":-0.0,\"e\":1E+5,\"f\":0.1e-2}",
         "{\"a\":5.01,\"b\":1e300,\"c\":-0,\"d\":-0.0,\"e\":1E+5,\"f\":0.1e-2}"},
        {"{\"id\":18446744073709551615,\"n\":-9223372036854775809,\"x\":1e400}",
         "{\"id\":18446744073709551615,\"n\":-9223372036854775809,\"x\":1e400}"},
        {" {\n\t\"a\" : [ 1 , 2.50 ,{ \"b\" :null } ] ,\r\n \"c\":\" s p \" } ",
         "{\"a\":[1,2.50,{\"b\":null}],\"c\":\" s p \"}"},
        {"{\"s\":\"\\u00e9\\/\\u0041\\ud83d\\ude00\"}", "{\"s\":\"\xc3\xa9/A\xf0\x9f\x98\x80\"}"},
        {"{\"s\":\"\\u0022\\u005c\\u0008\\u000a\\u001f\\t\\\"\\\\\"}", "{\"s\":\"\\\"\\\\\\b\\n\\u001F\\t\\\"\\\\\"}"},
        {"{\"\\u0061\":\"\\u007f\\u2028\"}", "{\"a\":\"\x7f\xe2\x80\xa8\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = cases[i][0];
        size_t n = strlen(in);
        jot__jdoc doc;
        assert_int_equal(jot__jscan_object(in, n, &doc, NULL, "t"), JOT_OK);
        jot__jdoc_release(&doc);
        char *out = malloc(n + 1);
        assert_non_null(out);
        assert_int_equal(jot__json_compact(in, n, out), strlen(cases[i][1]));
        assert_string_equal(out, cases[i][1]);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_big_numbers),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
