/*
 * bench/common.c - the workload, command line, keys and timing shared by
 * the benchmark programs (see common.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BENCH_KEYS_DIR
#define BENCH_KEYS_DIR "bench/keys"
#endif

const char bench_claims_json[] =
    "{\"iss\":\"" BENCH_ISS "\",\"sub\":\"" BENCH_SUB "\",\"aud\":\"" BENCH_AUD "\",\"name\":\"" BENCH_NAME
    "\",\"role\":\"" BENCH_ROLE "\",\"iat\":1764000000,\"exp\":4102444800,\"jti\":\"" BENCH_JTI "\"}";

static const char *const alg_names[] = {"HS256", "RS256", "ES256", "EdDSA"};

const char *bench_alg_name(bench_alg alg)
{
    return alg_names[alg];
}

const char *bench_header_json(bench_alg alg)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
        "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
        "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
    };
    return headers[alg];
}

const char *bench_signing_input(bench_alg alg, size_t *len)
{
    static char buf[4][512];
    const char *h = bench_header_json(alg);
    size_t n;

    /* RFC 7515 5.1: ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
    n = bench_b64url_encode(h, strlen(h), buf[alg]);
    buf[alg][n++] = '.';
    n += bench_b64url_encode(bench_claims_json, strlen(bench_claims_json), buf[alg] + n);
    if (len != NULL)
        *len = n;
    return buf[alg];
}

const char *bench_key_file(bench_alg alg, int is_public)
{
    static const char *const priv[] = {"hs256.secret", "rs256.pem", "es256.pem", "eddsa.pem"};
    static const char *const pub[] = {"hs256.secret", "rs256.pub.pem", "es256.pub.pem", "eddsa.pub.pem"};
    return is_public ? pub[alg] : priv[alg];
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s ALG sign ITERS\n"
            "       %s ALG verify ITERS [TOKEN_FILE]\n"
            "       %s ALG emit\n"
            "       %s ALG check TOKEN_FILE\n"
            "ALG: HS256 RS256 ES256 EdDSA. Prints ops per CPU-second as the last number.\n"
            "Exit: 0 done, 1 a check failed, 2 usage, 3 this cell is not supported.\n",
            prog, prog, prog, prog);
    exit(2);
}

static unsigned long parse_iters(const char *prog, const char *s)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || s[0] == '-')
        usage(prog);
    return v;
}

int bench_alg_parse(const char *name, bench_alg *out)
{
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcmp(name, alg_names[i]) == 0) {
            *out = (bench_alg)i;
            return 1;
        }
    }
    return 0;
}

void bench_parse_args(int argc, char **argv, const char *prog, bench_args *out)
{
    const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;

    memset(out, 0, sizeof *out);
    out->prog = prog;
    /* The usage names the program as it was called; reports use prog. */
    if (argc > 0)
        prog = slash != NULL ? slash + 1 : argv[0];
    if (argc < 3 || !bench_alg_parse(argv[1], &out->alg))
        usage(prog);
    if (strcmp(argv[2], "sign") == 0 && argc == 4) {
        out->op = BENCH_SIGN;
        out->iters = parse_iters(prog, argv[3]);
    } else if (strcmp(argv[2], "verify") == 0 && (argc == 4 || argc == 5)) {
        out->op = BENCH_VERIFY;
        out->iters = parse_iters(prog, argv[3]);
        out->token_file = argc == 5 ? argv[4] : NULL;
    } else if (strcmp(argv[2], "emit") == 0 && argc == 3) {
        out->op = BENCH_EMIT;
    } else if (strcmp(argv[2], "check") == 0 && argc == 4) {
        out->op = BENCH_CHECK;
        out->token_file = argv[3];
    } else {
        usage(prog);
    }
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);

    if (buf == NULL)
        return NULL;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *bench_read_key(const char *name, size_t *len)
{
    const char *dir = getenv("JOT_BENCH_KEYS");
    char path[4096];
    FILE *f;
    char *data;
    size_t n;

    if (dir == NULL || dir[0] == '\0')
        dir = BENCH_KEYS_DIR;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open the key %s: %s (set JOT_BENCH_KEYS to the bench/keys folder)\n", path,
                strerror(errno));
        exit(1);
    }
    data = read_all(f, &n);
    fclose(f);
    if (data == NULL) {
        fprintf(stderr, "cannot read the key %s\n", path);
        exit(1);
    }
    if (len != NULL)
        *len = n;
    return data;
}

char *bench_read_token(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *data;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    data = read_all(f, &n);
    if (f != stdin)
        fclose(f);
    if (data == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r' || data[n - 1] == ' ' || data[n - 1] == '\t'))
        data[--n] = '\0';
    if (len != NULL)
        *len = n;
    return data;
}

char *bench_tamper(const char *token, char which)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
    const char *start, *end;
    char *copy;
    size_t at;

    if (dot2 == NULL)
        return NULL;
    start = which == 'p' ? dot1 + 1 : dot2 + 1;
    end = which == 'p' ? dot2 : token + strlen(token);
    if (end - start < 4)
        return NULL;
    copy = strdup(token);
    if (copy == NULL)
        return NULL;
    /* A character in the middle of a segment carries six bits that all
     * decode into the bytes (only the last one may carry padding bits), so
     * replacing it always changes what was signed or the signature. */
    at = (size_t)(start - token) + (size_t)(end - start) / 2;
    copy[at] = copy[at] == 'A' ? 'B' : 'A';
    return copy;
}

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t bench_b64url_encode(const void *in, size_t len, char *out)
{
    const uint8_t *p = in;
    size_t i, n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[n++] = b64url_alphabet[v >> 18];
        out[n++] = b64url_alphabet[(v >> 12) & 63];
        out[n++] = b64url_alphabet[(v >> 6) & 63];
        out[n++] = b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[n++] = b64url_alphabet[v >> 18];
        out[n++] = b64url_alphabet[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[n++] = b64url_alphabet[v >> 18];
        out[n++] = b64url_alphabet[(v >> 12) & 63];
        out[n++] = b64url_alphabet[(v >> 6) & 63];
    }
    out[n] = '\0';
    return n;
}

long bench_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t i, n = 0;

    if (len % 4 == 1)
        return -1;
    for (i = 0; i < len; i++) {
        const char *c = strchr(b64url_alphabet, in[i]);
        if (in[i] == '\0' || c == NULL)
            return -1;
        acc = acc << 6 | (uint32_t)(c - b64url_alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

double bench_cpu_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double bench_wall_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void bench_report(const bench_args *a, double cpu_secs)
{
    static const char *const ops[] = {"sign", "verify", "emit", "check"};

    if (cpu_secs <= 0)
        cpu_secs = 1e-9;
    printf("%s %s %s: %lu ops in %.3f CPU-s, ops/CPU-s: %.0f\n", a->prog, bench_alg_name(a->alg), ops[a->op],
           a->iters, cpu_secs, (double)a->iters / cpu_secs);
    fflush(stdout);
}

void bench_fail(const bench_args *a, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s %s: ", a->prog, bench_alg_name(a->alg));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void bench_unsupported(const bench_args *a, const char *why)
{
    fprintf(stderr, "%s %s: not supported: %s\n", a->prog, bench_alg_name(a->alg), why);
    exit(3);
}
