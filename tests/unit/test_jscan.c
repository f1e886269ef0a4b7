/* The verify path's JSON scanner must accept exactly what the Jansson
 * wrapper accepts: hand-picked cases, then a differential run over many
 * random mutations of JWT-like texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/jscan.h"

/* 1 when the scanner and Jansson agree on text; prints it otherwise. */
static int agree(const char *text, size_t n)
{
    json_t *j;
    jot__jdoc doc;
    jot_status a = jot__json_object(text, n, &j, NULL, "t");
    jot_status b = jot__jscan_object(text, n, &doc, NULL, "t");
    if (a == JOT_OK) {
        /* Same top-level members, in the same order. */
        if (b == JOT_OK && json_object_size(j) != doc.count)
            b = JOT_E_ARG;
        json_decref(j);
    }
    if (b == JOT_OK)
        jot__jdoc_release(&doc);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
