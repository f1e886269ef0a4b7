/* The verifier's revocation hook on jti (jot_verify_policy.revoked): when
 * it runs, what it is given, and what it makes jot_verify answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jot/jot.h>

typedef struct revocations {
    const char *revoked_jti; /* the one revoked id */
    int calls;
    char seen[64];
} revocations;

static int is_revoked(const char *jti, size_t len, void *ctx)
{
    revocations *r = ctx;
    r->calls++;
    snprintf(r->seen, sizeof r->seen, "%.*s", (int)len, jti);
    assert_int_equal(strlen(jti), len);
    return strcmp(jti, r->revoked_jti) == 0;
}

static int check_calls;

static jot_status count_check(const jot_claims *claims, void *ctx)
{
    (void)claims;
    (void)ctx;
    check_calls++;
    return JOT_OK;
}

typedef struct fixture {
    jot_key *key;
    jot_verifier *v;
    revocations r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    uint8_t secret[32];
    memset(secret, 0x5a, sizeof secret);
    assert_int_equal(jot_key_from_secret(secret, sizeof secret, &f->key), JOT_OK);
    jot_keyset *ks;
    assert_int_equal(jot_keyset_new(&ks), JOT_OK);
    assert_int_equal(jot_keyset_add(ks, f->key), JOT_OK);
    f->r.revoked_jti = "gone";
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = ks;
    p.revoked = is_revoked;
    p.revoked_ctx = &f->r;
    p.check = count_check;
    assert_int_equal(jot_verifier_new(&p, &f->v), JOT_OK);
    jot_keyset_free(ks);
    check_calls = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    jot_verifier_free(f->v);
    jot_key_free(f->key);
    free(f);
    return 0;
}

static jot_status verify_payload(fixture *f, const char *payload, int tamper)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *tok;
    assert_int_equal(jot_jws_sign(f->key, JOT_HS256, header, strlen(header), payload, strlen(payload), &tok), JOT_OK);
    size_t n = strlen(tok);
    if (tamper)
        tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
    jot_diag d;
    jot_diag_init(&d);
    jot_status s = jot_verify(f->v, tok, n, NULL, &d);
    if (s != JOT_OK)
        assert_int_equal(d.status, s);
    jot_free(tok);
    return s;
}

static void test_live_jti_passes(void **state)
{
    fixture *f = *state;
    assert_int_equal(verify_payload(f, "{\"sub\":\"a\",\"jti\":\"live\"}", 0), JOT_OK);
    assert_int_equal(f->r.calls, 1);
    assert_string_equal(f->r.seen, "live");
    assert_int_equal(check_calls, 1);
}

static void test_revoked_jti_is_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(verify_payload(f, "{\"sub\":\"a\",\"jti\":\"gone\"}", 0), JOT_E_REVOKED);
    assert_int_equal(f->r.calls, 1);
    assert_int_equal(check_calls, 0); /* the check hook runs after it */
    assert_string_equal(jot_status_code(JOT_E_REVOKED), "revoked");
}

static void test_escaped_jti_is_decoded(void **state)
{
    fixture *f = *state;
    /* "g\u006fne" is "gone": the hook sees the value, not its spelling. */
    assert_int_equal(verify_payload(f, "{\"jti\":\"g\\u006fne\"}", 0), JOT_E_REVOKED);
    assert_string_equal(f->r.seen, "gone");
}

static void test_missing_jti(void **state)
{
    fixture *f = *state;
    assert_int_equal(verify_payload(f, "{\"sub\":\"a\"}", 0), JOT_E_MISSING_CLAIM);
    assert_int_equal(f->r.calls, 0);
}

static void test_jti_not_a_string(void **state)
{
    fixture *f = *state;
    assert_int_equal(verify_payload(f, "{\"jti\":7}", 0), JOT_E_MALFORMED);
    assert_int_equal(f->r.calls, 0);
}

static void test_not_called_before_signature_and_claims(void **state)
{
    fixture *f = *state;
    assert_int_equal(verify_payload(f, "{\"jti\":\"live\"}", 1), JOT_E_BAD_SIGNATURE);
    assert_int_equal(verify_payload(f, "{\"jti\":\"gone\",\"exp\":1000}", 0), JOT_E_EXPIRED);
    assert_int_equal(f->r.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_jti_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_jti_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaped_jti_is_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_jti, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jti_not_a_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_called_before_signature_and_claims, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
