/*
 * Every test of the Wycheproof signature and MAC files that JWS can express,
 * run through the public jot_sig_verify with keys loaded through the public
 * API (vectors/wycheproof/, Apache 2.0, see its README.md).
 *
 * "valid" must verify, "invalid" must be JOT_E_BAD_SIGNATURE, "acceptable"
 * may go either way and is counted. HMAC groups with tags shorter than the
 * hash, or keys shorter than the hash, are not JWS (RFC 7518 3.2): they are
 * counted as skipped, and still checked to be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <jot/jot.h>

enum kind { KIND_HMAC, KIND_SIG };

struct spec {
    const char *file;
    jot_alg alg;
    enum kind kind;
    size_t hash_len; /* HMAC only */
};

struct counts {
    unsigned tests, valid, valid_ok, invalid, invalid_rej, acceptable, acc_ok, acc_rej, skipped, failures;
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The bytes of a hex member; *out is malloc'ed (at least one byte). */
static size_t hex_member(const json_t *obj, const char *name, uint8_t **out)
{
    const char *s = json_string_value(json_object_get(obj, name));
    assert_non_null(s);
    size_t len = strlen(s);
    assert_int_equal(len % 2, 0);
    uint8_t *b = malloc(len / 2 + 1);
    assert_non_null(b);
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        assert_true(hi >= 0 && lo >= 0);
        b[i] = (uint8_t)(hi * 16 + lo);
    }
    *out = b;
    return len / 2;
}

static json_t *load(const char *file)
{
    char path[256];
    json_error_t err;
    snprintf(path, sizeof path, "vectors/wycheproof/%s", file);
    json_t *root = json_load_file(path, 0, &err);
    if (root == NULL)
        fail_msg("%s: %s (line %d)", path, err.text, err.line);
    assert_true(json_is_array(json_object_get(root, "testGroups")));
    return root;
}

/* Record one result against its expectation. */
static void judge(struct counts *c, const char *file, const char *label, const json_t *t, jot_status rc)
{
    const char *result = json_string_value(json_object_get(t, "result"));
    json_int_t id = json_integer_value(json_object_get(t, "tcId"));
    assert_non_null(result);
    c->tests++;
    if (strcmp(result, "valid") == 0) {
        c->valid++;
        c->valid_ok += rc == JOT_OK;
        if (rc != JOT_OK) {
            c->failures++;
            print_error("%s tcId %lld (%s): valid, but got %s\n", file, (long long)id, label, jot_strerror(rc));
        }
    } else if (strcmp(result, "invalid") == 0) {
        c->invalid++;
        c->invalid_rej += rc == JOT_E_BAD_SIGNATURE;
        if (rc != JOT_E_BAD_SIGNATURE) {
            c->failures++;
            print_error("%s tcId %lld (%s): invalid, but got %s\n", file, (long long)id, label,
                        rc == JOT_OK ? "JOT_OK" : jot_strerror(rc));
        }
    } else if (strcmp(result, "acceptable") == 0) {
        c->acceptable++;
        if (rc == JOT_OK)
            c->acc_ok++;
        else
            c->acc_rej++;
    } else {
        fail_msg("%s tcId %lld: unknown result %s", file, (long long)id, result);
    }
}

static void run_hmac_group(const struct spec *sp, const json_t *g, struct counts *c)
{
    json_int_t key_bits = json_integer_value(json_object_get(g, "keySize"));
    json_int_t tag_bits = json_integer_value(json_object_get(g, "tagSize"));
    int short_key = (size_t)key_bits < sp->hash_len * 8;
    int short_tag = (size_t)tag_bits < sp->hash_len * 8;
    size_t i;
    json_t *t;

    json_array_foreach(json_object_get(g, "tests"), i, t) {
        uint8_t *key, *msg, *tag;
        size_t key_len = hex_member(t, "key", &key);
        size_t msg_len = hex_member(t, "msg", &msg);
        size_t tag_len = hex_member(t, "tag", &tag);
        jot_key *k = NULL;
        jot_status rc = jot_key_from_secret(key, key_len, &k);

        if (short_key) {
            /* Not JWS: the key is refused when made (under 32 bytes) or by
             * jot_key_fits (shorter than this hash). */
            if (rc == JOT_OK)
                rc = jot_sig_verify(k, sp->alg, msg, msg_len, tag, tag_len);
            assert_int_equal(rc, JOT_E_WEAK_KEY);
            c->skipped++;
        } else {
            assert_int_equal(rc, JOT_OK);
            rc = jot_sig_verify(k, sp->alg, msg, msg_len, tag, tag_len);
            if (short_tag) {
                /* Not JWS: a truncated MAC never verifies. */
                assert_int_equal(rc, JOT_E_BAD_SIGNATURE);
                c->skipped++;
            } else {
                judge(c, sp->file, "secret", t, rc);
            }
        }
        jot_key_free(k);
        free(key);
        free(msg);
        free(tag);
    }
}

static void run_sig_group(const struct spec *sp, const json_t *g, struct counts *c)
{
    const char *pem = json_string_value(json_object_get(g, "publicKeyPem"));
    const json_t *jwk = json_object_get(g, "publicKeyJwk");
    jot_key *kp = NULL, *kj = NULL;
    size_t i;
    json_t *t;

    if (jwk == NULL)
        jwk = json_object_get(g, "keyJwk");
    assert_non_null(pem);
    assert_int_equal(jot_key_from_pem(pem, strlen(pem), &kp), JOT_OK);
    assert_int_equal(jot_key_is_private(kp), 0);
    if (jwk != NULL) {
        char *text = json_dumps(jwk, JSON_COMPACT);
        assert_non_null(text);
        jot_status rc = jot_key_from_jwk(text, strlen(text), &kj);
        if (rc != JOT_OK)
            fail_msg("%s: the group's JWK does not load (%s): %s", sp->file, jot_strerror(rc), text);
        free(text);
    }
    json_array_foreach(json_object_get(g, "tests"), i, t) {
        uint8_t *msg, *sig;
        size_t msg_len = hex_member(t, "msg", &msg);
        size_t sig_len = hex_member(t, "sig", &sig);
        jot_status rc = jot_sig_verify(kp, sp->alg, msg, msg_len, sig, sig_len);
        judge(c, sp->file, "PEM key", t, rc);
        if (kj != NULL) {
            /* The same key read from its JWK must decide the same way. */
            jot_status rj = jot_sig_verify(kj, sp->alg, msg, msg_len, sig, sig_len);
            if (rj != rc) {
                c->failures++;
                print_error("%s tcId %lld: PEM key gives %d, JWK key gives %d\n", sp->file,
                            (long long)json_integer_value(json_object_get(t, "tcId")), (int)rc, (int)rj);
            }
        }
        free(msg);
        free(sig);
    }
    jot_key_free(kp);
    jot_key_free(kj);
}

static void run_file(void **state)
{
    const struct spec *sp = *state;
    json_t *root = load(sp->file);
    struct counts c = {0};
    size_t i;
    json_t *g;

    json_array_foreach(json_object_get(root, "testGroups"), i, g) {
        if (sp->kind == KIND_HMAC)
            run_hmac_group(sp, g, &c);
        else
            run_sig_group(sp, g, &c);
    }
    /* Every test of the file was seen. */
    json_int_t declared = json_integer_value(json_object_get(root, "numberOfTests"));
    assert_int_equal((json_int_t)(c.tests + c.skipped), declared);
    printf("# %s: %u tests: valid %u/%u accepted, invalid %u/%u rejected, acceptable %u (%u accepted, %u "
           "rejected), skipped %u (not expressible in JWS, checked to be refused), failures %u\n",
           sp->file, c.tests, c.valid_ok, c.valid, c.invalid_rej, c.invalid, c.acceptable, c.acc_ok, c.acc_rej,
           c.skipped, c.failures);
    json_decref(root);
    assert_int_equal(c.failures, 0);
    /* A file that exercised nothing would prove nothing. */
    assert_true(c.valid > 0 && c.invalid > 0);
}

static const struct spec specs[] = {
    {"hmac_sha256_test.json", JOT_HS256, KIND_HMAC, 32},
    {"hmac_sha384_test.json", JOT_HS384, KIND_HMAC, 48},
    {"hmac_sha512_test.json", JOT_HS512, KIND_HMAC, 64},
    {"rsa_signature_2048_sha256_test.json", JOT_RS256, KIND_SIG, 0},
    {"rsa_signature_3072_sha384_test.json", JOT_RS384, KIND_SIG, 0},
    {"rsa_signature_4096_sha512_test.json", JOT_RS512, KIND_SIG, 0},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", JOT_PS256, KIND_SIG, 0},
    {"rsa_pss_2048_sha384_mgf1_48_test.json", JOT_PS384, KIND_SIG, 0},
    {"rsa_pss_4096_sha512_mgf1_64_test.json", JOT_PS512, KIND_SIG, 0},
    {"ecdsa_secp256r1_sha256_p1363_test.json", JOT_ES256, KIND_SIG, 0},
    {"ecdsa_secp384r1_sha384_p1363_test.json", JOT_ES384, KIND_SIG, 0},
    {"ecdsa_secp521r1_sha512_p1363_test.json", JOT_ES512, KIND_SIG, 0},
    {"ed25519_test.json", JOT_EDDSA, KIND_SIG, 0},
    {"ed448_test.json", JOT_EDDSA, KIND_SIG, 0},
};

/* One cmocka test per file, named after it. */
#define FILE_TEST(name, i) {name, run_file, NULL, NULL, (void *)&specs[i]}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FILE_TEST("hmac_sha256", 0),          FILE_TEST("hmac_sha384", 1),
        FILE_TEST("hmac_sha512", 2),          FILE_TEST("rsa_signature_2048_sha256", 3),
        FILE_TEST("rsa_signature_3072_sha384", 4), FILE_TEST("rsa_signature_4096_sha512", 5),
        FILE_TEST("rsa_pss_2048_sha256_mgf1_32", 6), FILE_TEST("rsa_pss_2048_sha384_mgf1_48", 7),
        FILE_TEST("rsa_pss_4096_sha512_mgf1_64", 8), FILE_TEST("ecdsa_secp256r1_sha256_p1363", 9),
        FILE_TEST("ecdsa_secp384r1_sha384_p1363", 10), FILE_TEST("ecdsa_secp521r1_sha512_p1363", 11),
        FILE_TEST("ed25519", 12),             FILE_TEST("ed448", 13),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
