/* Cases found by review against RFC 7515 and RFC 7797: what is judged
 * before what, and names spelled with JSON escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jot/jot.h>

static jot_key *secret_key(const char *kid)
{
    uint8_t secret[32];
    memset(secret, 0x42, sizeof secret);
    jot_key *k;
    assert_int_equal(jot_key_from_secret(secret, sizeof secret, &k), JOT_OK);
    if (kid)
        assert_int_equal(jot_key_set_kid(k, kid), JOT_OK);
    return k;
}

static jot_verifier *verifier_of(jot_key **keys, size_t n)
{
    jot_keyset *ks;
    assert_int_equal(jot_keyset_new(&ks), JOT_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(jot_keyset_add(ks, keys[i]), JOT_OK);
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = ks;
    jot_verifier *v;
    assert_int_equal(jot_verifier_new(&p, &v), JOT_OK);
    jot_keyset_free(ks);
    return v;
}

static jot_status verify(const jot_verifier *v, const char *token)
{
    return jot_verify(v, token, strlen(token), NULL, NULL);
}

static void test_escaped_alg(void **state)
{
    (void)state;
    jot_key *k = secret_key(NULL);
    jot_verifier *v = verifier_of(&k, 1);
    static const char *const headers[] = {
        "{\"alg\":\"\\u0048S256\"}",
        "{\"alg\":\"\\u0048\\u0053\\u0032\\u0035\\u0036\"}",
        "{\"\\u0061lg\":\"HS256\",\"typ\":\"J\\u0057T\"}",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *tok;
        assert_int_equal(jot_jws_sign(k, JOT_HS256, headers[i], strlen(headers[i]), "{}", 2, &tok), JOT_OK);
        assert_int_equal(verify(v, tok), JOT_OK);
        jot_free(tok);
    }
    /* "none" spelled with escapes is still none. */
    assert_int_equal(verify(v, "eyJhbGciOiJcdTAwNmVcdTAwNmZcdTAwNmVcdTAwNjUifQ.e30."), JOT_E_ALG_NOT_ALLOWED);
    jot_verifier_free(v);
    jot_key_free(k);
}

static void test_crit_before_payload(void **state)
{
    (void)state;
    jot_key *k = secret_key(NULL);
    jot_verifier *v = verifier_of(&k, 1);
    /* RFC 7797 4.2: b64:false, payload left unencoded in the token. */
    const char *h = "{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}";
    char *tok;
    assert_int_equal(jot_jws_sign(k, JOT_HS256, h, strlen(h), "x", 1, &tok), JOT_OK);
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    char raw[512];
    snprintf(raw, sizeof raw, "%.*s.{\"sub\":\"a\"}%s", (int)(dot1 - tok), tok, dot2);
    assert_int_equal(verify(v, raw), JOT_E_CRIT_UNSUPPORTED);
    /* Detached payload (empty segment) likewise. */
    snprintf(raw, sizeof raw, "%.*s.%s", (int)(dot1 - tok), tok, dot2);
    assert_int_equal(verify(v, raw), JOT_E_CRIT_UNSUPPORTED);
    /* The algorithm is still judged first. */
    assert_int_equal(verify(v, "eyJhbGciOiJub25lIiwiY3JpdCI6WyJiNjQiXSwiYjY0IjpmYWxzZX0.x.y"),
                     JOT_E_ALG_NOT_ALLOWED);
    /* Without crit, a payload that is not base64url is malformed. */
    snprintf(raw, sizeof raw, "eyJhbGciOiJIUzI1NiJ9.{\"sub\":\"a\"}%s", dot2);
    assert_int_equal(verify(v, raw), JOT_E_MALFORMED);
    jot_free(tok);
    jot_verifier_free(v);
    jot_key_free(k);
}

static void test_kid_picks_among_keys(void **state)
{
    (void)state;
    jot_key *with = secret_key("a"), *without = secret_key(NULL);
    jot_builder *b;
    assert_int_equal(jot_builder_new(&b), JOT_OK);
    assert_int_equal(jot_builder_header_string(b, "kid", "zzz"), JOT_OK);
    char *tok;
    assert_int_equal(jot_builder_sign(b, without, JOT_HS256, &tok), JOT_OK);

    /* A lone key without a kid answers whatever kid the token names. */
    jot_verifier *v = verifier_of(&without, 1);
    assert_int_equal(verify(v, tok), JOT_OK);
    jot_verifier_free(v);
    /* Among several keys, an unknown kid picks none. */
    jot_key *both[2] = {with, without};
    v = verifier_of(both, 2);
    assert_int_equal(verify(v, tok), JOT_E_NO_KEY);
    jot_verifier_free(v);
    /* A lone key with another kid is not the one named. */
    v = verifier_of(&with, 1);
    assert_int_equal(verify(v, tok), JOT_E_NO_KEY);
    jot_verifier_free(v);

    jot_free(tok);
    jot_builder_free(b);
    jot_key_free(with);
    jot_key_free(without);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaped_alg),
        cmocka_unit_test(test_crit_before_payload),
        cmocka_unit_test(test_kid_picks_among_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
