/* The builder: member order, replacement, escaping, registered claim types,
 * and that what it signs verifies with the claims it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jot/jot.h>

static jot_key *hmac_key(void)
{
    uint8_t secret[32];
    memset(secret, 0x5a, sizeof secret);
    jot_key *k;
    assert_int_equal(jot_key_from_secret(secret, sizeof secret, &k), JOT_OK);
    return k;
}

/* Sign b with k, then decode the token; the caller frees both strings. */
static void sign_and_decode(const jot_builder *b, const jot_key *k, char **header, char **payload)
{
    char *tok;
    assert_int_equal(jot_builder_sign(b, k, JOT_HS256, &tok), JOT_OK);
    assert_int_equal(jot_decode_unverified(tok, strlen(tok), 0, header, payload, NULL), JOT_OK);
    jot_free(tok);
}

/* Sign b with k, verify the token with k alone; the caller frees the
 * claims. */
static jot_claims *sign_and_verify(const jot_builder *b, jot_key *k)
{
    char *tok;
    assert_int_equal(jot_builder_sign(b, k, JOT_HS256, &tok), JOT_OK);
    jot_keyset *ks;
    assert_int_equal(jot_keyset_new(&ks), JOT_OK);
    assert_int_equal(jot_keyset_add(ks, k), JOT_OK);
    jot_verify_policy pol;
    jot_verify_policy_init(&pol);
    pol.keys = ks;
    jot_verifier *v;
    assert_int_equal(jot_verifier_new(&pol, &v), JOT_OK);
    jot_claims *c;
    assert_int_equal(jot_verify(v, tok, strlen(tok), &c, NULL), JOT_OK);
    jot_verifier_free(v);
    jot_keyset_free(ks);
    jot_free(tok);
    return c;
}

static void test_order_and_replace(void **state)
{
    (void)state;
    jot_key *k = hmac_key();
    assert_int_equal(jot_key_set_kid(k, "k1"), JOT_OK);
    jot_builder *b;
    assert_int_equal(jot_builder_new(&b), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "iss", "a"), JOT_OK);
    assert_int_equal(jot_builder_set_int(b, "exp", 4102444800), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "sub", "s"), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "iss", "b"), JOT_OK); /* replaces, moves to the end */
    assert_int_equal(jot_builder_set_json(b, "aud", "[\"x\",\"y\"]", 9), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "sub", NULL), JOT_OK); /* removes */
    assert_int_equal(jot_builder_header_string(b, "cty", "demo"), JOT_OK);
    char *h, *p;
    sign_and_decode(b, k, &h, &p);
    assert_string_equal(h, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"cty\":\"demo\"}");
    assert_string_equal(p, "{\"exp\":4102444800,\"iss\":\"b\",\"aud\":[\"x\",\"y\"]}");
    jot_free(h);
    jot_free(p);

    /* typ removed, kid overridden. */
    assert_int_equal(jot_builder_header_string(b, "typ", NULL), JOT_OK);
    assert_int_equal(jot_builder_header_string(b, "kid", "other"), JOT_OK);
    sign_and_decode(b, k, &h, &p);
    assert_string_equal(h, "{\"alg\":\"HS256\",\"kid\":\"other\",\"cty\":\"demo\"}");
    jot_free(h);
    jot_free(p);
    jot_builder_free(b);
    jot_key_free(k);
}

static void test_escaping(void **state)
{
    (void)state;
    jot_key *k = hmac_key();
    jot_builder *b;
    assert_int_equal(jot_builder_new(&b), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "q\"n", "a\"b\\c\n\t\x01/\xc3\xa9"), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "bad", "\xff"), JOT_E_ARG);
    /* A value that cannot be set leaves the member it would replace. */
    assert_int_equal(jot_builder_set_string(b, "q\"n", "ok\xff"), JOT_E_ARG);
    assert_int_equal(jot_builder_set_string(b, "\xc0\xaf", "x"), JOT_E_ARG);
    char *h, *p;
    sign_and_decode(b, k, &h, &p);
    assert_string_equal(p, "{\"q\\\"n\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\"}");
    jot_free(h);
    jot_free(p);

    /* What was set comes back verified, byte for byte. */
    jot_claims *c = sign_and_verify(b, k);
    const char *got;
    size_t len;
    assert_int_equal(jot_claims_string(c, "q\"n", &got, &len), JOT_OK);
    assert_int_equal(len, strlen("a\"b\\c\n\t\x01/\xc3\xa9"));
    assert_memory_equal(got, "a\"b\\c\n\t\x01/\xc3\xa9", len);
    jot_claims_free(c);
    jot_builder_free(b);
    jot_key_free(k);
}

static void test_types(void **state)
{
    (void)state;
    jot_builder *b;
    assert_int_equal(jot_builder_new(&b), JOT_OK);
    assert_int_equal(jot_builder_set_string(b, "exp", "1"), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_int(b, "iss", 1), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_json(b, "aud", "[1]", 3), JOT_E_TYPE);
    assert_int_equal(jot_builder_set_json(b, "aud", "\"x\"", 3), JOT_OK);
    assert_int_equal(jot_builder_set_json(b, "nbf", "1.5", 3), JOT_OK);
    assert_int_equal(jot_builder_set_json(b, "x", "{\"a\":1,\"a\":2}", 13), JOT_E_MALFORMED);
    assert_int_equal(jot_builder_set_json(b, "x", "1 2", 3), JOT_E_MALFORMED);
    assert_int_equal(jot_builder_set_json(b, "x", "", 0), JOT_E_MALFORMED);
    assert_int_equal(jot_builder_claims_json(b, "{\"iat\":\"now\"}", 13), JOT_E_TYPE);
    assert_int_equal(jot_builder_claims_json(b, "[]", 2), JOT_E_MALFORMED);
    assert_int_equal(jot_builder_claims_json(b, "{\"a\":1,\"\\u0061\":2}", 18), JOT_E_MALFORMED);
    assert_int_equal(jot_builder_claims_json(b, "{\"iss\":\"i\",\"n\":{\"x\":[1,2]}}", 27), JOT_OK);
    assert_int_equal(jot_builder_header_string(b, "alg", "none"), JOT_E_ARG);
    assert_int_equal(jot_builder_header_json(b, "alg", "\"none\"", 6), JOT_E_ARG);

    jot_key *k = hmac_key();
    char *h, *p;
    sign_and_decode(b, k, &h, &p);
    assert_string_equal(p, "{\"aud\":\"x\",\"nbf\":1.5,\"iss\":\"i\",\"n\":{\"x\":[1,2]}}");
    jot_free(h);
    jot_free(p);
    /* A public key cannot sign; a key of another type does not fit. */
    char *tok;
    assert_int_equal(jot_builder_sign(b, k, JOT_ES256, &tok), JOT_E_KEY_MISMATCH);
    assert_int_equal(jot_builder_sign(b, k, JOT_HS512, &tok), JOT_E_WEAK_KEY);
    assert_int_equal(jot_builder_sign(b, k, JOT_ALG_UNSET, &tok), JOT_E_ARG);
    jot_key_free(k);
    jot_builder_free(b);
}

/* The builder takes every claims set the verifier finds well-formed, long
 * names included (the fuzzer found a 4,096-byte limit on names once). */
static void test_long_names(void **state)
{
    (void)state;
    const size_t n = 20000;
    char *json = malloc(n + 16);
    assert_non_null(json);
    memcpy(json, "{\"", 2);
    memset(json + 2, 'n', n);
    memcpy(json + 2 + n, "\":1}", 5);
    jot_builder *b;
    assert_int_equal(jot_builder_new(&b), JOT_OK);
    assert_int_equal(jot_builder_claims_json(b, json, n + 6), JOT_OK);
    json[2 + n] = '\0';
    assert_int_equal(jot_builder_set_string(b, "other", json + 2), JOT_OK);
    assert_int_equal(jot_builder_set_int(b, json + 2, 2), JOT_OK);

    jot_key *k = hmac_key();
    char *h, *p;
    sign_and_decode(b, k, &h, &p);
    assert_int_equal(strlen(p), 2 * n + 17);
    jot_free(h);
    jot_free(p);
    jot_claims *c = sign_and_verify(b, k);
    int64_t got;
    assert_int_equal(jot_claims_int(c, json + 2, &got), JOT_OK);
    assert_int_equal(got, 2);
    jot_claims_free(c);
    jot_builder_free(b);
    jot_key_free(k);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_replace),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_long_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
