/* lib/core: the JSON wrapper's bounds, the error table, the algorithm
 * names. (base64url is tested through jot/util.h, in test_util.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

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
        cmocka_unit_test(test_json_bounds),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_alg_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
