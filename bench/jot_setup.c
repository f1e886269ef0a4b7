/*
 * bench/jot_setup.c - the libjot side of the workload (see jot_setup.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "jot_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jot_alg jot_algs[] = {JOT_HS256, JOT_RS256, JOT_ES256, JOT_EDDSA};

static int64_t fixed_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

static void need(const jot_bench *jb, jot_status s, const char *what)
{
    if (s != JOT_OK)
        bench_fail(jb->args, "%s: %s", what, jot_strerror(s));
}

static jot_key *load_key(const jot_bench *jb, int is_public)
{
    size_t len;
    char *data = bench_read_key(bench_key_file(jb->args->alg, is_public), &len);
    jot_key *k = NULL;
    jot_status s;

    if (jb->args->alg == BENCH_HS256)
        s = jot_key_from_secret(data, len, &k);
    else
        s = jot_key_from_pem(data, len, &k);
    memset(data, 0, len);
    free(data);
    need(jb, s, "loading the key");
    need(jb, jot_key_set_kid(k, BENCH_KID), "jot_key_set_kid");
    return k;
}

static jot_verifier *make_verifier(const jot_bench *jb, const int64_t *now, const char *audience)
{
    jot_verify_policy p;
    jot_verifier *v = NULL;

    jot_verify_policy_init(&p);
    p.keys = jb->keys;
    p.algs = JOT_ALG_BIT(jb->alg);
    p.issuer = BENCH_ISS;
    p.audience = audience;
    p.now = fixed_now;
    p.now_ctx = (void *)now;
    need(jb, jot_verifier_new(&p, &v), "jot_verifier_new");
    return v;
}

static const int64_t bench_now = BENCH_NOW;

void jot_bench_init(jot_bench *jb, const bench_args *a)
{
    memset(jb, 0, sizeof *jb);
    jb->args = a;
    jb->alg = jot_algs[a->alg];
    jb->priv = load_key(jb, 0);
    jb->pub = load_key(jb, 1);
    need(jb, jot_keyset_new(&jb->keys), "jot_keyset_new");
    need(jb, jot_keyset_add(jb->keys, jb->pub), "jot_keyset_add");
    jb->verifier = make_verifier(jb, &bench_now, BENCH_AUD);
}

void jot_bench_release(jot_bench *jb)
{
    jot_verifier_free(jb->verifier);
    jot_keyset_free(jb->keys);
    jot_key_free(jb->pub);
    jot_key_free(jb->priv);
}

jot_status jot_bench_sign(const jot_bench *jb, char **out)
{
    jot_builder *b = NULL;
    jot_status s = jot_builder_new(&b);

    /* The claims in the workload's order; the header {"alg","typ","kid"}
     * comes from the builder, the kid from the key. */
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "iss", BENCH_ISS);
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "sub", BENCH_SUB);
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "aud", BENCH_AUD);
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "name", BENCH_NAME);
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "role", BENCH_ROLE);
    if (s == JOT_OK)
        s = jot_builder_set_int(b, "iat", BENCH_IAT);
    if (s == JOT_OK)
        s = jot_builder_set_int(b, "exp", BENCH_EXP);
    if (s == JOT_OK)
        s = jot_builder_set_string(b, "jti", BENCH_JTI);
    if (s == JOT_OK)
        s = jot_builder_sign(b, jb->priv, jb->alg, out);
    jot_builder_free(b);
    return s;
}

jot_status jot_bench_verify(const jot_verifier *v, const char *token, size_t len)
{
    jot_claims *c = NULL;
    jot_status s = jot_verify(v, token, len, &c, NULL);

    jot_claims_free(c);
    return s;
}

static int same_string(const jot_claims *c, int header, const char *name, const char *want)
{
    const char *got = NULL;
    size_t len = 0;
    jot_status s = header ? jot_claims_header_string(c, name, &got, &len) : jot_claims_string(c, name, &got, &len);

    if (s == JOT_OK && len == strlen(want) && memcmp(got, want, len) == 0)
        return 1;
    fprintf(stderr, "libjot: %s \"%s\" is %s%s%s, not \"%s\"\n", header ? "header member" : "claim", name,
            s == JOT_OK ? "\"" : jot_strerror(s), s == JOT_OK ? got : "", s == JOT_OK ? "\"" : "", want);
    return 0;
}

static int same_int(const jot_claims *c, const char *name, int64_t want)
{
    int64_t got = 0;
    jot_status s = jot_claims_int(c, name, &got);

    if (s == JOT_OK && got == want)
        return 1;
    fprintf(stderr, "libjot: claim \"%s\" is %lld (%s), not %lld\n", name, (long long)got, jot_strerror(s),
            (long long)want);
    return 0;
}

jot_status jot_bench_check_all(const jot_bench *jb, const char *token)
{
    jot_claims *c = NULL;
    jot_diag d;
    jot_status s;
    int ok;

    jot_diag_init(&d);
    s = jot_verify(jb->verifier, token, strlen(token), &c, &d);
    if (s != JOT_OK) {
        fprintf(stderr, "libjot %s: %s (%s)\n", bench_alg_name(jb->args->alg), jot_strerror(s), d.text);
        return s;
    }
    ok = same_string(c, 1, "typ", BENCH_TYP) & same_string(c, 1, "kid", BENCH_KID) &
         same_string(c, 0, "iss", BENCH_ISS) & same_string(c, 0, "sub", BENCH_SUB) &
         same_string(c, 0, "aud", BENCH_AUD) & same_string(c, 0, "name", BENCH_NAME) &
         same_string(c, 0, "role", BENCH_ROLE) & same_string(c, 0, "jti", BENCH_JTI) &
         same_int(c, "iat", BENCH_IAT) & same_int(c, "exp", BENCH_EXP);
    ok = ok && jot_claims_alg(c) == jb->alg;
    jot_claims_free(c);
    return ok ? JOT_OK : JOT_E_MALFORMED;
}

void jot_bench_self_check(const jot_bench *jb, const char *token)
{
    static const int64_t after_exp = BENCH_EXP + 1;
    char *bad_payload = bench_tamper(token, 'p');
    char *bad_sig = bench_tamper(token, 's');
    jot_verifier *late, *other_aud;
    jot_status s;

    if (jot_bench_check_all(jb, token) != JOT_OK)
        bench_fail(jb->args, "self-check: the token does not verify, or its claims differ");
    if (bad_payload == NULL || bad_sig == NULL)
        bench_fail(jb->args, "self-check: cannot tamper with the token");
    if ((s = jot_bench_verify(jb->verifier, bad_payload, strlen(bad_payload))) == JOT_OK)
        bench_fail(jb->args, "self-check: a token with a changed payload verifies");
    if ((s = jot_bench_verify(jb->verifier, bad_sig, strlen(bad_sig))) != JOT_E_BAD_SIGNATURE)
        bench_fail(jb->args, "self-check: a token with a changed signature gives \"%s\", not bad-signature",
                   jot_strerror(s));
    /* The claim checks are really on: the same token, a clock after exp,
     * or a verifier for another audience, must fail. */
    late = make_verifier(jb, &after_exp, BENCH_AUD);
    other_aud = make_verifier(jb, &bench_now, "other.example.com");
    if ((s = jot_bench_verify(late, token, strlen(token))) != JOT_E_EXPIRED)
        bench_fail(jb->args, "self-check: after exp the token gives \"%s\", not expired", jot_strerror(s));
    if ((s = jot_bench_verify(other_aud, token, strlen(token))) != JOT_E_BAD_AUDIENCE)
        bench_fail(jb->args, "self-check: for another audience the token gives \"%s\", not bad-audience",
                   jot_strerror(s));
    jot_verifier_free(late);
    jot_verifier_free(other_aud);
    free(bad_payload);
    free(bad_sig);
}
