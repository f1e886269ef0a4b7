/*
 * bench/jot_bench.c - jot-bench: the workload of issue 4 through libjot,
 * with nothing but the public API, so that anyone can put libjot into their
 * own comparison table:
 *
 *   jot-bench ALG sign ITERS
 *   jot-bench ALG verify ITERS [TOKEN_FILE]
 *   jot-bench ALG emit | check TOKEN_FILE
 *
 * It runs the workload ITERS times after a self-check and prints ops per
 * CPU-second as the last number on stdout (see common.h for the whole
 * command line and the exit codes). Keys come from bench/keys (or the folder
 * named by $JOT_BENCH_KEYS), the same files every contestant uses.
 *
 * SIGN: jot_builder_new, the eight claims through the setters,
 * jot_builder_sign (header {"alg","typ","kid"}), jot_free, jot_builder_free.
 * VERIFY: jot_verify with one verifier built before the loop (the key, only
 * ALG allowed, issuer, audience, now fixed at 1764000100), then
 * jot_claims_free. Every status in the loop is checked.
 */
#define _POSIX_C_SOURCE 200809L
#include "jot_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    bench_args a;
    jot_bench jb;
    char *own = NULL, *token;
    unsigned long i;
    double t0, t1;
    jot_status s;

    bench_parse_args(argc, argv, "libjot", &a);
    jot_bench_init(&jb, &a);

    if (a.op == BENCH_CHECK) {
        token = bench_read_token(a.token_file, NULL);
        s = jot_bench_check_all(&jb, token);
        free(token);
        jot_bench_release(&jb);
        return s == JOT_OK ? 0 : 1;
    }
    s = jot_bench_sign(&jb, &own);
    if (s != JOT_OK)
        bench_fail(&a, "self-check: signing failed: %s", jot_strerror(s));
    jot_bench_self_check(&jb, own);
    if (a.op == BENCH_EMIT) {
        printf("%s\n", own);
        jot_free(own);
        jot_bench_release(&jb);
        return 0;
    }

    if (a.op == BENCH_SIGN) {
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            s = jot_bench_sign(&jb, &token);
            if (s != JOT_OK)
                bench_fail(&a, "signing %lu failed: %s", i, jot_strerror(s));
            jot_free(token);
        }
        t1 = bench_cpu_seconds();
    } else {
        char *given = a.token_file != NULL ? bench_read_token(a.token_file, NULL) : NULL;
        const char *tok = given != NULL ? given : own;
        size_t len = strlen(tok);

        if (given != NULL)
            jot_bench_self_check(&jb, given);
        t0 = bench_cpu_seconds();
        for (i = 0; i < a.iters; i++) {
            s = jot_bench_verify(jb.verifier, tok, len);
            if (s != JOT_OK)
                bench_fail(&a, "verification %lu failed: %s", i, jot_strerror(s));
        }
        t1 = bench_cpu_seconds();
        free(given);
    }
    bench_report(&a, t1 - t0);
    jot_free(own);
    jot_bench_release(&jb);
    return 0;
}
