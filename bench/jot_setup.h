/*
 * bench/jot_setup.h - the libjot side of the workload, shared by jot-bench
 * and jot-threads: keys, the verifier, one signature, one verification.
 * Public API only (jot/jot.h), as any application would use it.
 */
#ifndef BENCH_JOT_SETUP_H
#define BENCH_JOT_SETUP_H

#include <jot/jot.h>

#include "common.h"

typedef struct jot_bench {
    const bench_args *args;
    jot_alg alg;
    jot_key *priv;          /* signs; kid "k1" */
    jot_key *pub;           /* verifies; kid "k1" (the same secret for HS256) */
    jot_keyset *keys;       /* holds pub */
    jot_verifier *verifier; /* issuer, audience, fixed now, only alg */
} jot_bench;

/* Load the keys of bench/keys and build the verifier; exits 1 on failure. */
void jot_bench_init(jot_bench *jb, const bench_args *a);
void jot_bench_release(jot_bench *jb);

/* The SIGN workload: a builder, the claims through the setters, sign, the
 * compact string (caller frees with jot_free), free the builder. */
jot_status jot_bench_sign(const jot_bench *jb, char **out);

/* The VERIFY workload: jot_verify with the shared verifier, the result
 * freed. */
jot_status jot_bench_verify(const jot_verifier *v, const char *token, size_t len);

/* Verify token and compare every claim and header member with the
 * workload (not timed). JOT_OK, the verifier's status, or JOT_E_MALFORMED
 * when a value differs (detail on stderr). */
jot_status jot_bench_check_all(const jot_bench *jb, const char *token);

/* The self-checks: token verifies with all its claims; changed payload,
 * changed signature, a later clock and another audience are rejected.
 * Exits 1 when one fails. */
void jot_bench_self_check(const jot_bench *jb, const char *token);

#endif
