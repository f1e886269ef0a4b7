/*
 * bench/peer_libjwt.c - the workload through libjwt 1.10 (Debian's
 * libjwt-dev), the way its documentation shows it.
 *
 * SIGN: jwt_new, jwt_set_alg with the key, the kid header, each claim with
 * jwt_add_grant / jwt_add_grant_int, jwt_encode_str, free.
 * VERIFY: jwt_decode with the key (it checks the signature and parses the
 * header and claims), then what libjwt 1.10 leaves to the caller: the token's
 * alg must be the one expected (jwt_decode would otherwise follow the
 * token's own alg, RFC 8725 2.1), exp must be in the future, iss and aud must
 * match (libjwt 1.10 has no validation API; jwt_valid came in 1.12).
 *
 * libjwt takes the key as bytes on every call (raw HMAC secret, PEM text),
 * so "loaded once" means read from its file once: parsing it again per token
 * is libjwt's design, and part of what it costs. It has no EdDSA (exit 3).
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct peer {
    const bench_args *args;
    jwt_alg_t alg;
    unsigned char *priv, *pub;
    int priv_len, pub_len;
} peer;

static char *sign_once(const peer *p)
{
    jwt_t *j = NULL;
    char *token = NULL;

    if (jwt_new(&j) != 0)
        return NULL;
    /* jwt_set_alg copies the key into the object; jwt_encode_str writes the
     * header as {"alg":...,"typ":"JWT"} plus what was added. */
    if (jwt_set_alg(j, p->alg, p->priv, p->priv_len) == 0 && jwt_add_header(j, "kid", BENCH_KID) == 0 &&
        jwt_add_grant(j, "iss", BENCH_ISS) == 0 && jwt_add_grant(j, "sub", BENCH_SUB) == 0 &&
        jwt_add_grant(j, "aud", BENCH_AUD) == 0 && jwt_add_grant(j, "name", BENCH_NAME) == 0 &&
        jwt_add_grant(j, "role", BENCH_ROLE) == 0 && jwt_add_grant_int(j, "iat", BENCH_IAT) == 0 &&
        jwt_add_grant_int(j, "exp", BENCH_EXP) == 0 && jwt_add_grant(j, "jti", BENCH_JTI) == 0)
        token = jwt_encode_str(j);
    jwt_free(j);
    return token;
}

/* The verify workload; on success *out (if not NULL) keeps the decoded
 * token for the caller to inspect and free. 1 when the token is valid. */
static int verify_once(const peer *p, const char *token, jwt_t **out)
{
    jwt_t *j = NULL;
    const char *s;
    long exp;
    int ok;

    if (jwt_decode(&j, token, p->pub, p->pub_len) != 0)
        return 0;
    ok = jwt_get_alg(j) == p->alg;
    errno = 0;
    exp = jwt_get_grant_int(j, "exp");
    ok = ok && errno == 0 && exp > BENCH_NOW;
    s = jwt_get_grant(j, "iss");
    ok = ok && s != NULL && strcmp(s, BENCH_ISS) == 0;
    s = jwt_get_grant(j, "aud");
    ok = ok && s != NULL && strcmp(s, BENCH_AUD) == 0;
    if (ok && out != NULL)
        *out = j;
    else
        jwt_free(j);
    return ok;
}

/* Everything the workload says, for the cross-checks (not timed). */
static int check_all(const peer *p, const char *token)
{
    jwt_t *j = NULL;
    const char *s;
    int ok;

    if (!verify_once(p, token, &j))
        return 0;
    ok = (s = jwt_get_header(j, "kid")) != NULL && strcmp(s, BENCH_KID) == 0;
    ok = ok && (s = jwt_get_header(j, "typ")) != NULL && strcmp(s, BENCH_TYP) == 0;
    ok = ok && (s = jwt_get_grant(j, "sub")) != NULL && strcmp(s, BENCH_SUB) == 0;
    ok = ok && (s = jwt_get_grant(j, "name")) != NULL && strcmp(s, BENCH_NAME) == 0;
    ok = ok && (s = jwt_get_grant(j, "role")) != NULL && strcmp(s, BENCH_ROLE) == 0;
    ok = ok && (s = jwt_get_grant(j, "jti")) != NULL && strcmp(s, BENCH_JTI) == 0;
    ok = ok && jwt_get_grant_int(j, "iat") == BENCH_IAT && jwt_get_grant_int(j, "exp") == BENCH_EXP;
    jwt_free(j);
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
    if (verify_once(p, bad_payload, NULL))
        bench_fail(p->args, "self-check: a token with a changed payload verifies");
    if (verify_once(p, bad_sig, NULL))
        bench_fail(p->args, "self-check: a token with a changed signature verifies");
    free(bad_payload);
    free(bad_sig);
}

int main(int argc, char **argv)
{
    static const jwt_alg_t algs[] = {JWT_ALG_HS256, JWT_ALG_RS256, JWT_ALG_ES256, JWT_ALG_NONE};
    bench_args a;
    peer p;
    size_t len;
    char *own, *token;
    unsigned long i;
    double t0, t1;

    bench_parse_args(argc, argv, "libjwt", &a);
    if (a.alg == BENCH_EDDSA)
        bench_unsupported(&a, "libjwt 1.10 has no EdDSA");
    memset(&p, 0, sizeof p);
    p.args = &a;
    p.alg = algs[a.alg];
    p.priv = (unsigned char *)bench_read_key(bench_key_file(a.alg, 0), &len);
    p.priv_len = (int)len;
    p.pub = (unsigned char *)bench_read_key(bench_key_file(a.alg, 1), &len);
    p.pub_len = (int)len;

    if (a.op == BENCH_CHECK) {
        token = bench_read_token(a.token_file, NULL);
        if (!check_all(&p, token)) {
            fprintf(stderr, "libjwt %s: the token does not verify, or its claims differ\n", bench_alg_name(a.alg));
            return 1;
        }
        free(token);
        free(p.priv);
        free(p.pub);
        return 0;
    }
    own = sign_once(&p);
    if (own == NULL)
        bench_fail(&a, "self-check: signing failed");
    self_check(&p, own);
    if (a.op == BENCH_EMIT) {
        printf("%s\n", own);
        free(own);
        free(p.priv);
        free(p.pub);
        return 0;
    }

    if (a.op == BENCH_SIGN) {
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            token = sign_once(&p);
            if (token == NULL)
                bench_fail(&a, "signing %lu failed", i);
            free(token);
        }
        t1 = bench_cpu_seconds();
    } else {
        char *given = a.token_file != NULL ? bench_read_token(a.token_file, NULL) : NULL;
        const char *tok = given != NULL ? given : own;

        if (given != NULL)
            self_check(&p, given);
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            if (!verify_once(&p, tok, NULL))
                bench_fail(&a, "verification %lu failed", i);
        }
        t1 = bench_cpu_seconds();
        free(given);
    }
    bench_report(&a, t1 - t0);
    free(own);
    free(p.priv);
    free(p.pub);
    return 0;
}
