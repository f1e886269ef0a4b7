/*
 * bench/peer_cjose.c - the workload through cjose 0.6 (Debian's
 * libcjose-dev), the way its documentation shows it.
 *
 * cjose is a JOSE library, not a JWT one: it signs and verifies bytes, and
 * the caller brings the claims. Its own JSON library is Jansson (its headers
 * are Jansson objects), so the claims go through Jansson too, as a cjose user
 * would write it.
 *
 * SIGN: a cjose header (alg, typ, kid), the claims built as a Jansson object
 * and dumped, cjose_jws_sign, cjose_jws_export (the compact string belongs to
 * the JWS object; the program reads it before releasing it).
 * VERIFY: cjose_jws_import, the header's alg must be the one expected
 * (RFC 8725 2.1: cjose would otherwise follow the token's alg), then
 * cjose_jws_verify, cjose_jws_get_plaintext, the claims parsed with Jansson,
 * exp, iss and aud checked.
 *
 * The key is imported once from its JWK file (the .jwk files of bench/keys, the same keys
 * as the PEM files). cjose 0.6 has no EdDSA (exit 3).
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct peer {
    const bench_args *args;
    const char *alg;
    cjose_jwk_t *jwk;
} peer;

static const char *err_text(const cjose_err *e)
{
    return e->message != NULL ? e->message : "unknown error";
}

/* The workload's claims as a compact JSON text (caller frees). */
static char *claims_text(void)
{
    json_t *o = json_object();
    char *text = NULL;

    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "iss", json_string(BENCH_ISS)) == 0 &&
        json_object_set_new(o, "sub", json_string(BENCH_SUB)) == 0 &&
        json_object_set_new(o, "aud", json_string(BENCH_AUD)) == 0 &&
        json_object_set_new(o, "name", json_string(BENCH_NAME)) == 0 &&
        json_object_set_new(o, "role", json_string(BENCH_ROLE)) == 0 &&
        json_object_set_new(o, "iat", json_integer(BENCH_IAT)) == 0 &&
        json_object_set_new(o, "exp", json_integer(BENCH_EXP)) == 0 &&
        json_object_set_new(o, "jti", json_string(BENCH_JTI)) == 0)
        text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Sign the workload; 1 on success. With copy_out, a copy of the compact
 * string is handed back (for emit and the self-check, outside the loop). */
static int sign_once(const peer *p, char **copy_out)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_jws_t *jws = NULL;
    const char *compact = NULL;
    char *claims = NULL;
    int ok = 0;

    if (h != NULL && cjose_header_set(h, CJOSE_HDR_ALG, p->alg, &err) &&
        cjose_header_set(h, "typ", BENCH_TYP, &err) && cjose_header_set(h, CJOSE_HDR_KID, BENCH_KID, &err) &&
        (claims = claims_text()) != NULL) {
        jws = cjose_jws_sign(p->jwk, h, (const uint8_t *)claims, strlen(claims), &err);
        ok = jws != NULL && cjose_jws_export(jws, &compact, &err) && compact != NULL;
    }
    if (ok && copy_out != NULL) {
        *copy_out = strdup(compact);
        ok = *copy_out != NULL;
    }
    free(claims);
    cjose_jws_release(jws);
    cjose_header_release(h);
    return ok;
}

/* The verify workload. On success *out (if not NULL) receives the claims
 * object for the caller to inspect and release. 1 when the token is valid. */
static int verify_once(const peer *p, const char *token, size_t len, json_t **out)
{
    cjose_err err;
    cjose_jws_t *jws = cjose_jws_import(token, len, &err);
    const char *alg;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    json_t *claims = NULL, *v;
    int ok;

    if (jws == NULL)
        return 0;
    alg = cjose_header_get(cjose_jws_get_protected(jws), CJOSE_HDR_ALG, &err);
    ok = alg != NULL && strcmp(alg, p->alg) == 0 && cjose_jws_verify(jws, p->jwk, &err) &&
         cjose_jws_get_plaintext(jws, &plain, &plain_len, &err);
    if (ok) {
        claims = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
        ok = claims != NULL && json_is_object(claims);
    }
    if (ok) {
        v = json_object_get(claims, "exp");
        ok = json_is_integer(v) && json_integer_value(v) > BENCH_NOW;
        v = json_object_get(claims, "iss");
        ok = ok && json_is_string(v) && strcmp(json_string_value(v), BENCH_ISS) == 0;
        v = json_object_get(claims, "aud");
        ok = ok && json_is_string(v) && strcmp(json_string_value(v), BENCH_AUD) == 0;
    }
    if (ok && out != NULL) {
        *out = claims;
        claims = NULL;
    }
    json_decref(claims);
    cjose_jws_release(jws);
    return ok;
}

static int has_string(json_t *o, const char *name, const char *want)
{
    json_t *v = json_object_get(o, name);

    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* Everything the workload says, for the cross-checks (not timed). */
static int check_all(const peer *p, const char *token)
{
    json_t *c = NULL, *h = NULL, *v;
    const char *dot = strchr(token, '.');
    uint8_t header[512];
    long n;
    int ok;

    if (!verify_once(p, token, strlen(token), &c))
        return 0;
    ok = has_string(c, "sub", BENCH_SUB) && has_string(c, "name", BENCH_NAME) &&
         has_string(c, "role", BENCH_ROLE) && has_string(c, "jti", BENCH_JTI);
    v = json_object_get(c, "iat");
    ok = ok && json_is_integer(v) && json_integer_value(v) == BENCH_IAT;
    v = json_object_get(c, "exp");
    ok = ok && json_is_integer(v) && json_integer_value(v) == BENCH_EXP;
    json_decref(c);
    /* The header's typ and kid, read from the verified token's first part. */
    n = dot != NULL ? bench_b64url_decode(token, (size_t)(dot - token), header, sizeof header) : -1;
    if (n > 0)
        h = json_loadb((const char *)header, (size_t)n, 0, NULL);
    ok = ok && h != NULL && has_string(h, "typ", BENCH_TYP) && has_string(h, "kid", BENCH_KID);
    json_decref(h);
    return ok;
}

static void self_check(const peer *p, const char *token)
{
    char *bad_payload = bench_tamper(token, 'p');
    char *bad_sig = bench_tamper(token, 's');

    if (!check_all(p, token))
        bench_fail(p->args, "self-check: the token does not verify, or its claims differ");
    if (bad_payload == NULL || bad_sig == NULL)
        bench_fail(p->args, "self-check: cannot tamper with the token");
    if (verify_once(p, bad_payload, strlen(bad_payload), NULL))
        bench_fail(p->args, "self-check: a token with a changed payload verifies");
    if (verify_once(p, bad_sig, strlen(bad_sig), NULL))
        bench_fail(p->args, "self-check: a token with a changed signature verifies");
    free(bad_payload);
    free(bad_sig);
}

int main(int argc, char **argv)
{
    static const char *const jwk_files[] = {"hs256.jwk", "rs256.jwk", "es256.jwk", "eddsa.jwk"};
    bench_args a;
    peer p;
    cjose_err err;
    size_t len;
    char *jwk_text, *own = NULL, *token;
    unsigned long i;
    double t0, t1;

    bench_parse_args(argc, argv, "cjose", &a);
    if (a.alg == BENCH_EDDSA)
        bench_unsupported(&a, "cjose 0.6 has no EdDSA (no OKP keys)");
    memset(&p, 0, sizeof p);
    p.args = &a;
    p.alg = bench_alg_name(a.alg);
    jwk_text = bench_read_key(jwk_files[a.alg], &len);
    p.jwk = cjose_jwk_import(jwk_text, len, &err);
    free(jwk_text);
    if (p.jwk == NULL)
        bench_fail(&a, "cjose_jwk_import: %s", err_text(&err));

    if (a.op == BENCH_CHECK) {
        token = bench_read_token(a.token_file, NULL);
        if (!check_all(&p, token)) {
            fprintf(stderr, "cjose %s: the token does not verify, or its claims differ\n", p.alg);
            return 1;
        }
        free(token);
        cjose_jwk_release(p.jwk);
        return 0;
    }
    if (!sign_once(&p, &own))
        bench_fail(&a, "self-check: signing failed");
    self_check(&p, own);
    if (a.op == BENCH_EMIT) {
        printf("%s\n", own);
        free(own);
        cjose_jwk_release(p.jwk);
        return 0;
    }

    if (a.op == BENCH_SIGN) {
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            if (!sign_once(&p, NULL))
                bench_fail(&a, "signing %lu failed", i);
        }
        t1 = bench_cpu_seconds();
    } else {
        char *given = a.token_file != NULL ? bench_read_token(a.token_file, NULL) : NULL;
        const char *tok = given != NULL ? given : own;
        size_t tok_len = strlen(tok);

        if (given != NULL)
            self_check(&p, given);
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            if (!verify_once(&p, tok, tok_len, NULL))
                bench_fail(&a, "verification %lu failed", i);
        }
        t1 = bench_cpu_seconds();
        free(given);
    }
    bench_report(&a, t1 - t0);
    free(own);
    cjose_jwk_release(p.jwk);
    return 0;
}
