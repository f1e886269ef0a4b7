/* Numbers in claims (RFC 8259 6, RFC 7519 2): any JSON number in a claim
 * the verifier does not interpret, printed and signed as written; exp, nbf
 * and iat numbers within int64 seconds, else malformed; jot_claims_int
 * exact or refusing, never silently wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jot/jot.h>

#define NOW 1700000000

static jot_key *key;
static jot_verifier *verifier;

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return NOW;
}

static int setup(void **state)
{
    (void)state;
    uint8_t secret[32];
    memset(secret, 0x5a, sizeof secret);
    jot_keyset *ks;
    if (jot_key_from_secret(secret, sizeof secret, &key) != JOT_OK || jot_keyset_new(&ks) != JOT_OK ||
        jot_keyset_add(ks, key) != JOT_OK)
        return -1;
    jot_verify_policy pol;
    jot_verify_policy_init(&pol);
    pol.keys = ks;
    pol.now = fixed_now;
    jot_status s = jot_verifier_new(&pol, &verifier);
    jot_keyset_free(ks);
    return s == JOT_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    jot_verifier_free(verifier);
    jot_key_free(key);
    return 0;
}

/* Sign header and payload texts as they are, and verify the token. */
static jot_status verify_raw(const char *header, const char *payload, jot_claims **out, jot_diag *d)
{
    char *tok;
    assert_int_equal(jot_jws_sign(key, JOT_HS256, header, strlen(header), payload, strlen(payload), &tok), JOT_OK);
    jot_status s = jot_verify(verifier, tok, strlen(tok), out, d);
    jot_free(tok);
    return s;
}

static jot_claims *verify_ok(const char *payload)
{
    jot_claims *c = NULL;
    jot_diag d;
    jot_diag_init(&d);
    jot_status s = verify_raw("{\"alg\":\"HS256\"}", payload, &c, &d);
    if (s != JOT_OK)
        fail_msg("%s: %s %s", payload, jot_status_code(s), d.text);
    return c;
}

static void assert_claim_json(const jot_claims *c, const char *name, const char *want)
{
    char *got;
    assert_int_equal(jot_claims_json(c, name, &got), JOT_OK);
    assert_string_equal(got, want);
    jot_free(got);
}

/* Claims the verifier does not interpret take any number, printed as
 * written: no rounding (5.01), no reformatting (1e300, 1E+5, -0), no limit
 * (2^64 - 1, 1e400). */
static void test_printed_as_written(void **state)
{
    (void)state;
    static const char *const payloads[] = {
        "{\"id\":18446744073709551615,\"neg\":-9223372036854775809,\"big\":123456789012345678901234567890}",
        "{\"a\":5.01,\"b\":1e300,\"c\":1E+5,\"d\":-0,\"e\":-0.0,\"f\":0.1e-2,\"g\":1e400,\"h\":-1e400,\"i\":1e-400}",
        "{\"nested\":{\"n\":[18446744073709551616,2.50,{\"x\":1e999}]},\"exp\":1700000001}",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        jot_claims *c = verify_ok(payloads[i]);
        assert_claim_json(c, NULL, payloads[i]);
        jot_claims_free(c);
    }
    /* One claim at a time; white space between tokens goes, strings are
     * escaped as before (only '"', '\\' and control characters). */
    jot_claims *c = verify_ok("{ \"id\" : 18446744073709551615 ,\n \"r\":[ 1.10 , -0 ],\"s\":\"\\u00e9\\/\\u001f\"}");
    assert_claim_json(c, NULL, "{\"id\":18446744073709551615,\"r\":[1.10,-0],\"s\":\"\xc3\xa9/\\u001F\"}");
    assert_claim_json(c, "id", "18446744073709551615");
    assert_claim_json(c, "r", "[1.10,-0]");
    assert_claim_json(c, "s", "\"\xc3\xa9/\\u001F\"");
    jot_claims_free(c);
}

/* jot_claims_int: exact within int64, JOT_E_TYPE beyond, *out untouched. */
static void test_claims_int(void **state)
{
    (void)state;
    jot_claims *c = verify_ok("{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"u64\":18446744073709551615,"
                              "\"over\":9223372036854775808,\"under\":-9223372036854775809,\"frac\":-2.9,"
                              "\"e\":1e3,\"huge\":1e300,\"inf\":1e400,\"z\":-0,\"s\":\"5\",\"n\":null}");
    static const struct {
        const char *name;
        jot_status s;
        int64_t v;
    } cases[] = {
        {"max", JOT_OK, INT64_MAX}, {"min", JOT_OK, INT64_MIN}, {"u64", JOT_E_TYPE, 0}, {"over", JOT_E_TYPE, 0},
        {"under", JOT_E_TYPE, 0}, {"frac", JOT_OK, -2}, {"e", JOT_OK, 1000}, {"huge", JOT_E_TYPE, 0},
        {"inf", JOT_E_TYPE, 0}, {"z", JOT_OK, 0}, {"s", JOT_E_TYPE, 0}, {"n", JOT_E_TYPE, 0},
        {"absent", JOT_E_NOT_FOUND, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        jot_status s = jot_claims_int(c, cases[i].name, &v);
        if (s != cases[i].s || v != (s == JOT_OK ? cases[i].v : 42))
            fail_msg("%s: %s %lld", cases[i].name, jot_status_code(s), (long long)v);
    }
    jot_claims_free(c);
}

/* RFC 7519 2: a NumericDate is a JSON number (fractions allowed); one that
 * int64 seconds cannot hold is malformed, whatever its form. */
static void test_numeric_dates(void **state)
{
    (void)state;
    static const struct {
        const char *payload;
        jot_status s;
    } cases[] = {
        {"{\"exp\":1700000000.5}", JOT_OK},
        {"{\"exp\":1700000000.0}", JOT_E_EXPIRED},
        {"{\"exp\":1699999999.9}", JOT_E_EXPIRED},
        {"{\"exp\":17e8}", JOT_E_EXPIRED},
        {"{\"exp\":9223372036854775807}", JOT_OK},
        {"{\"exp\":-9223372036854775808}", JOT_E_EXPIRED},
        {"{\"exp\":9223372036854775808}", JOT_E_MALFORMED},
        {"{\"exp\":-9223372036854775809}", JOT_E_MALFORMED},
        {"{\"exp\":18446744073709551615}", JOT_E_MALFORMED},
        {"{\"exp\":1e300}", JOT_E_MALFORMED},
        {"{\"exp\":-1e300}", JOT_E_MALFORMED},
        {"{\"exp\":1e400}", JOT_E_MALFORMED},
        {"{\"exp\":\"1800000000\"}", JOT_E_MALFORMED},
        {"{\"nbf\":1e300}", JOT_E_MALFORMED},
        {"{\"nbf\":1700000000.5}", JOT_E_NOT_YET_VALID},
        {"{\"iat\":9223372036854775808}", JOT_E_MALFORMED},
        {"{\"iat\":1699999999.5,\"nbf\":-0}", JOT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jot_claims *c = NULL;
        jot_diag d;
        jot_diag_init(&d);
        jot_status s = verify_raw("{\"alg\":\"HS256\"}", cases[i].payload, &c, &d);
        if (s != cases[i].s)
            fail_msg("%s: %s %s, want %s", cases[i].payload, jot_status_code(s), d.text,
                     jot_status_code(cases[i].s));
        if (s == JOT_E_MALFORMED &&
            !strstr(d.text, strstr(cases[i].payload, ":\"") ? "is not a number" : "is out of range"))
            fail_msg("%s: the detail does not say why: %s", cases[i].payload, d.text);
        jot_claims_free(c);
    }
}

/* The builder signs numbers digit for digit and refuses the NumericDates
 * the verifier would refuse. */
static void test_builder(void **state)
{
    (void)state;
    static const char claims[] = "{\"id\":18446744073709551615,\"f\":5.01,\"e\":1e300,\"z\":-0.0,\"exp\":1700000100.25}";
    jot_builder *b;
    assert_int_equal(jot_builder_new(&b), JOT_OK);
    assert_int_equal(jot_builder_claims_json(b, claims, strlen(claims)), JOT_OK);
    assert_int_equal(jot_builder_set_json(b, "big", " -123456789012345678901234567890 ", 33), JOT_OK);
    assert_int_equal(jot_builder_set_json(b, "nbf", " 1e3 ", 5), JOT_OK);
    assert_int_equal(jot_builder_set_json(b, "aud", " [\"a\"] ", 7), JOT_OK);
    char *tok;
    assert_int_equal(jot_builder_sign(b, key, JOT_HS256, &tok), JOT_OK);
    jot_claims *c;
    assert_int_equal(jot_verify(verifier, tok, strlen(tok), &c, NULL), JOT_OK);
    assert_claim_json(c, NULL, "{\"id\":18446744073709551615,\"f\":5.01,\"e\":1e300,\"z\":-0.0,\"exp\":1700000100.25,"
                               "\"big\":-123456789012345678901234567890,\"nbf\":1e3,\"aud\":[\"a\"]}");
    jot_claims_free(c);
    jot_free(tok);

    static const char *const refused[] = {
        "{\"exp\":1e300}", "{\"exp\":9223372036854775808}", "{\"nbf\":-1e400}", "{\"iat\":\"1\"}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(jot_builder_claims_json(b, refused[i], strlen(refused[i])), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_json(b, "exp", "1e300", 5), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_json(b, "iat", "-9223372036854775809", 20), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_string(b, "exp", "1"), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_int(b, "exp", INT64_MAX), JOT_OK);
    jot_builder_free(b);
}

/* Numbers beyond Jansson's range in the header too: the verifier, crit and
 * the readers of the header all take them. */
static void test_header(void **state)
{
    (void)state;
    jot_claims *c = NULL;
    assert_int_equal(verify_raw("{\"alg\":\"HS256\",\"x\":18446744073709551615,\"kid\":\"k\\u0031\"}", "{\"sub\":\"a\"}",
                                &c, NULL),
                     JOT_OK);
    const char *s;
    size_t n;
    assert_int_equal(jot_claims_header_string(c, "kid", &s, &n), JOT_OK);
    assert_string_equal(s, "k1");
    assert_int_equal(n, 2);
    assert_int_equal(jot_claims_header_string(c, "x", &s, &n), JOT_E_TYPE);
    char *h;
    assert_int_equal(jot_claims_header_json(c, &h), JOT_OK);
    assert_string_equal(h, "{\"alg\":\"HS256\",\"x\":18446744073709551615,\"kid\":\"k1\"}");
    jot_free(h);
    jot_claims_free(c);

    jot_diag d;
    jot_diag_init(&d);
    assert_int_equal(verify_raw("{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1e400}", "{}", &c, &d),
                     JOT_E_CRIT_UNSUPPORTED);
    assert_non_null(strstr(d.text, "does not understand"));
    jot_diag_init(&d);
    assert_int_equal(verify_raw("{\"alg\":\"HS256\",\"crit\":[\"y\"],\"x\":1e400}", "{}", &c, &d),
                     JOT_E_CRIT_UNSUPPORTED);
    assert_non_null(strstr(d.text, "absent"));
}

/* The string readers, now on the scanned text: decoded once, stable. */
static void test_strings(void **state)
{
    (void)state;
    jot_claims *c = verify_ok("{\"sub\":\"a\\\"b\\u00e9\",\"aud\":[\"x\",\"y\\/z\",\"\"],\"one\":\"o\",\"mixed\":[\"a\",1],"
                              "\"n\":18446744073709551615}");
    const char *s, *s2;
    size_t n;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(jot_claims_string(c, "sub", &s, &n), JOT_OK);
        assert_string_equal(s, "a\"b\xc3\xa9");
        assert_int_equal(n, 5);
    }
    assert_int_equal(jot_claims_string(c, "sub", &s2, NULL), JOT_OK);
    assert_ptr_equal(s, s2);
    assert_int_equal(jot_claims_string(c, "n", &s, &n), JOT_E_TYPE);
    assert_int_equal(jot_claims_string(c, "none", &s, &n), JOT_E_NOT_FOUND);
    assert_int_equal(jot_claims_array_len(c, "aud", &n), JOT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(jot_claims_array_string(c, "aud", 1, &s, &n), JOT_OK);
    assert_string_equal(s, "y/z");
    assert_int_equal(n, 3);
    assert_int_equal(jot_claims_array_string(c, "aud", 2, &s, &n), JOT_OK);
    assert_string_equal(s, "");
    assert_int_equal(n, 0);
    assert_int_equal(jot_claims_array_string(c, "aud", 3, &s, &n), JOT_E_ARG);
    assert_int_equal(jot_claims_array_len(c, "one", &n), JOT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jot_claims_array_string(c, "one", 0, &s, &n), JOT_OK);
    assert_string_equal(s, "o");
    assert_int_equal(jot_claims_array_string(c, "one", 1, &s, &n), JOT_E_ARG);
    assert_int_equal(jot_claims_array_len(c, "mixed", &n), JOT_E_TYPE);
    assert_int_equal(jot_claims_array_len(c, "n", &n), JOT_E_TYPE);
    jot_claims_free(c);
}

/* jot decode shows what verify shows. */
static void test_decode(void **state)
{
    (void)state;
    static const char payload[] = "{\"id\":18446744073709551615,\"f\":5.01,\"g\":1e400}";
    char *tok, *h, *p;
    static const char header[] = "{\"alg\":\"HS256\", \"x\":1e999}";
    assert_int_equal(jot_jws_sign(key, JOT_HS256, header, strlen(header), payload, strlen(payload), &tok), JOT_OK);
    assert_int_equal(jot_decode_unverified(tok, strlen(tok), 0, &h, &p, NULL), JOT_OK);
    assert_string_equal(h, "{\"alg\":\"HS256\",\"x\":1e999}");
    assert_string_equal(p, payload);
    jot_free(h);
    jot_free(p);
    jot_free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printed_as_written), cmocka_unit_test(test_claims_int),
        cmocka_unit_test(test_numeric_dates),      cmocka_unit_test(test_builder),
        cmocka_unit_test(test_header),             cmocka_unit_test(test_strings),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
