/*
 * bench/common.h - what every benchmark program shares: the workload of
 * issue 4 (header, claims, fixed clock), the command line, the keys, the
 * timing, and small helpers for the self-checks.
 *
 * Every contestant (jot-bench, floor, peer-libjwt, peer-cjose) has the same
 * command line, so bench/run can drive them alike:
 *
 *   PROG ALG sign ITERS                  time ITERS signatures
 *   PROG ALG verify ITERS [TOKEN_FILE]   time ITERS verifications of the
 *                                        token in TOKEN_FILE (default: one
 *                                        the program signs itself)
 *   PROG ALG emit                        print one token it signed
 *   PROG ALG check TOKEN_FILE            verify that token ("-": stdin) and
 *                                        compare every claim with the
 *                                        workload: exit 0 when it passes
 *
 * ALG is HS256, RS256, ES256 or EdDSA. Exit status: 0 done, 1 a self-check
 * or an operation failed, 2 usage, 3 the program cannot do this cell.
 *
 * Before timing, sign and verify check themselves: the program's own token
 * verifies, and the same token with one payload character changed, or one
 * signature character changed, is rejected. Inside the timed loop every
 * result is checked too, so nothing measured can be a no-op.
 *
 * This file uses no crypto library: jot-bench must use only libjot.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The workload of issue 4, exactly. */
#define BENCH_ISS "https://auth.example.com"
#define BENCH_SUB "1234591"
#define BENCH_AUD "api.example.com"
#define BENCH_NAME "Mary Poppins"
#define BENCH_ROLE "editor"
#define BENCH_IAT 1764000000
#define BENCH_EXP 4102444800
#define BENCH_JTI "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
#define BENCH_KID "k1"
#define BENCH_TYP "JWT"
/* The fixed "now" of every verification: 100 s after iat. */
#define BENCH_NOW 1764000100

/* The claims set as one compact JSON text, in the order above. */
extern const char bench_claims_json[];

typedef enum bench_alg { BENCH_HS256, BENCH_RS256, BENCH_ES256, BENCH_EDDSA } bench_alg;

typedef enum bench_op { BENCH_SIGN, BENCH_VERIFY, BENCH_EMIT, BENCH_CHECK } bench_op;

typedef struct bench_args {
    const char *prog;      /* the contestant's name in reports */
    bench_alg alg;
    bench_op op;
    unsigned long iters;   /* sign, verify */
    const char *token_file; /* verify (optional), check; NULL otherwise */
} bench_args;

/* Parse argv as above; prints the usage and exits 2 when it does not fit.
 * prog is the contestant's name in reports. */
void bench_parse_args(int argc, char **argv, const char *prog, bench_args *out);
/* The algorithm named by name; 0 when none is. */
int bench_alg_parse(const char *name, bench_alg *out);

/* "HS256", "RS256", "ES256", "EdDSA". */
const char *bench_alg_name(bench_alg alg);
/* The header of the workload, {"alg":ALG,"typ":"JWT","kid":"k1"}. */
const char *bench_header_json(bench_alg alg);
/* The JWS signing input of the workload, BASE64URL(header) "."
 * BASE64URL(claims), NUL-terminated, in static storage. */
const char *bench_signing_input(bench_alg alg, size_t *len);

/* The private and public key files of an algorithm, relative to the keys
 * folder: hs256.secret (raw 32 bytes; both), rs256.pem / rs256.pub.pem,
 * es256.*, eddsa.*, and the JWK forms *.jwk. */
const char *bench_key_file(bench_alg alg, int is_public);
/* Read a file of the keys folder ($JOT_BENCH_KEYS, else the bench/keys
 * folder of the source tree). The result is NUL-terminated; exits 1 on
 * failure. Caller frees. */
char *bench_read_key(const char *name, size_t *len);
/* Read a token file ("-": stdin), without the trailing white space. Exits
 * 1 on failure. Caller frees. */
char *bench_read_token(const char *path, size_t *len);

/* A copy of token with one character of its payload (which = 'p') or of
 * its signature (which = 's') replaced by another base64url character that
 * changes the decoded bytes. Caller frees. */
char *bench_tamper(const char *token, char which);

/* Base64url without padding (RFC 7515 2). encode: out needs
 * 4 * ceil(len / 3) + 1 bytes, returns the length written (NUL added).
 * decode: returns the number of bytes, or -1 on a bad input. */
size_t bench_b64url_encode(const void *in, size_t len, char *out);
long bench_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* Process CPU time in seconds (CLOCK_PROCESS_CPUTIME_ID). */
double bench_cpu_seconds(void);
/* Wall-clock time in seconds (CLOCK_MONOTONIC). */
double bench_wall_seconds(void);

/* Print the result line; its last field is ops per CPU-second:
 *   PROG ALG OP: ITERS ops in SECS CPU-s, ops/CPU-s: RATE */
void bench_report(const bench_args *a, double cpu_secs);

/* Print "PROG: message" to stderr and exit 1 (a failed check). */
void bench_fail(const bench_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Print why a cell cannot be done and exit 3. */
void bench_unsupported(const bench_args *a, const char *why) __attribute__((noreturn));

#endif
