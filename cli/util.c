/*
 * cli/util.c - helpers shared by the `jot` subcommands (see util.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void vprint_line(const char *prefix, const char *fmt, va_list ap)
{
    char msg[1024];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        msg[0] = '\0';
    /* The contract wants one line per error: a newline or other control
     * character from a file name or a library detail must not start a new
     * line that could pass for another message. */
    for (char *p = msg; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch == 0x7f)
            *p = '?';
    }
    fprintf(stderr, "jot: %s%s\n", prefix, msg);
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_line("", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char prefix[64];
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    snprintf(prefix, sizeof prefix, "%s: ", cmd);
    cli_err("%s%s (see 'jot %s --help')", prefix, msg, cmd);
    return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
    /* With opterr = 0 getopt_long reports nothing itself: optopt holds a
     * short option, and for a long one argv[optind - 1] is the word it
     * refused. */
    const char *word = (optind > 0) ? argv[optind - 1] : "?";
    /* glibc sets optopt to a long option's val (256 and up here) when its
     * value is missing, and to 0 for an unknown long option: only a value
     * below 256 is a short option character. */
    int is_short = optopt > 0 && optopt < 256;
    if (c == ':') {
        if (is_short)
            return cli_usage_error(cmd, "option -%c needs a value", optopt);
        return cli_usage_error(cmd, "option %s needs a value", word);
    }
    if (is_short)
        return cli_usage_error(cmd, "unknown option -%c", optopt);
    return cli_usage_error(cmd, "unknown option %s", word);
}

void cli_wipe(void *p, size_t n)
{
    /* Stores through a volatile pointer cannot be elided as dead, unlike a
     * plain memset right before free. */
    volatile unsigned char *v = p;
    if (p == NULL)
        return;
    while (n-- > 0)
        *v++ = 0;
}

void cli_wipe_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    cli_wipe(p, n);
    free(p);
}

const char *cli_path_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

int cli_read_file(const char *path, size_t max, char **out, size_t *len, int *too_big)
{
    const char *name = cli_path_name(path);
    int fd = STDIN_FILENO;
    size_t cap = 4096;
    size_t used = 0;
    char *buf;

    *out = NULL;
    *len = 0;
    if (too_big != NULL)
        *too_big = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_err("%s: %s", name, strerror(errno));
            return -1;
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            cli_err("%s: is a directory", name);
            close(fd);
            return -1;
        }
    }
    buf = malloc(cap);
    if (buf == NULL) {
        if (fd != STDIN_FILENO)
            close(fd);
        cli_nomem();
        return -1;
    }
    for (;;) {
        if (used + 1 >= cap) {
            if (cap > max + 1) {
                /* Read one byte past max to tell "exactly max" from "more". */
                break;
            }
            size_t ncap = cap * 2;
            if (ncap > max + 2)
                ncap = max + 2;
            if (ncap <= cap)
                break;
            /* No realloc: the old block may hold a secret and must be wiped
             * before it goes back to the allocator. */
            char *nbuf = malloc(ncap);
            if (nbuf == NULL) {
                cli_wipe_free(buf, cap);
                if (fd != STDIN_FILENO)
                    close(fd);
                cli_nomem();
                return -1;
            }
            memcpy(nbuf, buf, used);
            cli_wipe_free(buf, cap);
            buf = nbuf;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + used, cap - 1 - used);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            cli_err("%s: %s", name, strerror(errno));
            cli_wipe_free(buf, cap);
            if (fd != STDIN_FILENO)
                close(fd);
            return -1;
        }
        if (r == 0)
            break;
        used += (size_t)r;
        if (used > max)
            break;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (used > max) {
        if (too_big != NULL)
            *too_big = 1;
        else
            cli_err("%s: larger than %zu bytes", name, max);
        cli_wipe_free(buf, cap);
        return -1;
    }
    /* Shrink the bookkeeping: the caller frees with the length it knows, so
     * wipe the slack now and hand back a buffer whose meaningful size is
     * used + 1. */
    cli_wipe(buf + used, cap - used);
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

int cli_parse_int64(const char *s, int allow_negative, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0;
    const uint64_t limit = (uint64_t)INT64_MAX;

    if (s == NULL || *s == '\0')
        return -1;
    if (*s == '-') {
        if (!allow_negative)
            return -1;
        neg = 1;
        s++;
    }
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int cli_parse_duration(const char *s, int64_t *out)
{
    /* 10^13 seconds is some 300,000 years: far beyond any sane token
     * lifetime, and far enough from INT64_MAX that adding it to a time
     * cannot overflow. */
    const int64_t cap = (int64_t)10000000000000;
    char num[32];
    int64_t mult = 1;
    size_t n;
    int64_t v;

    if (s == NULL)
        return -1;
    n = strlen(s);
    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, s, n + 1);
    switch (num[n - 1]) {
    case 's': mult = 1; num[--n] = '\0'; break;
    case 'm': mult = 60; num[--n] = '\0'; break;
    case 'h': mult = 3600; num[--n] = '\0'; break;
    case 'd': mult = 86400; num[--n] = '\0'; break;
    default: break;
    }
    if (cli_parse_int64(num, 0, &v) != 0)
        return -1;
    if (v > cap / mult)
        return -1;
    *out = v * mult;
    return 0;
}

jot_alg cli_parse_alg(const char *cmd, const char *name)
{
    jot_alg alg;
    if (strcmp(name, "none") == 0) {
        /* RFC 8725 3.1: an unsecured JWS is never acceptable here. */
        cli_usage_error(cmd, "algorithm 'none' is never allowed");
        return JOT_ALG_UNSET;
    }
    alg = jot_alg_from_name(name, strlen(name));
    if (alg == JOT_ALG_UNSET)
        cli_usage_error(cmd, "unknown algorithm '%s' (HS256, HS384, HS512, RS256, RS384, RS512, "
                             "PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)",
                        name);
    return alg;
}

void cli_key_error(const char *path, jot_status st)
{
    const char *name = cli_path_name(path);
    switch (st) {
    case JOT_E_WEAK_KEY:
        cli_err("%s: key too weak (RSA keys need at least 2048 bits, HMAC secrets at least the hash "
                "size, RFC 7518 3.2 and 3.3)",
                name);
        break;
    case JOT_E_KEY:
        cli_err("%s: not a usable signature key (expected PEM, a JWK or a JWKS)", name);
        break;
    case JOT_E_UNSUPPORTED:
        cli_err("%s: key of a kind jot does not support", name);
        break;
    case JOT_E_NOMEM:
        cli_nomem();
        break;
    default:
        cli_err("%s: %s", name, jot_strerror(st));
        break;
    }
}

int cli_load_keyset(const char *path, jot_keyset **out)
{
    char *data;
    size_t len;
    jot_status st;

    *out = NULL;
    if (cli_read_file(path, CLI_MAX_FILE, &data, &len, NULL) != 0)
        return CLI_EXIT_USAGE;
    st = jot_keyset_load(data, len, out);
    cli_wipe_free(data, len);
    if (st != JOT_OK) {
        *out = NULL;
        cli_key_error(path, st);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_keyset_merge(jot_keyset *dst, const jot_keyset *src)
{
    size_t n = jot_keyset_count(src);
    for (size_t i = 0; i < n; i++) {
        jot_status st = jot_keyset_add(dst, jot_keyset_get(src, i));
        if (st != JOT_OK) {
            if (st == JOT_E_NOMEM)
                return cli_nomem();
            cli_err("cannot collect the keys: %s", jot_strerror(st));
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

int cli_load_secret(const char *path, jot_key **out)
{
    char *data;
    size_t len;
    jot_status st;

    *out = NULL;
    if (cli_read_file(path, CLI_MAX_FILE, &data, &len, NULL) != 0)
        return CLI_EXIT_USAGE;
    st = jot_key_from_secret(data, len, out);
    cli_wipe_free(data, len);
    if (st != JOT_OK) {
        *out = NULL;
        if (st == JOT_E_WEAK_KEY)
            cli_err("%s: an HMAC secret of %zu bytes is too short (at least 32 bytes, and the hash "
                    "size for HS384/HS512: RFC 7518 3.2)",
                    cli_path_name(path), len);
        else if (st == JOT_E_ARG && len == 0)
            cli_err("%s: the HMAC secret is empty", cli_path_name(path));
        else
            cli_key_error(path, st);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_split_list(const char *list, char ***items, size_t *count)
{
    size_t n = 1;
    for (const char *p = list; *p != '\0'; p++)
        if (*p == ',')
            n++;
    char **grown = realloc(*items, (*count + n) * sizeof *grown);
    if (grown == NULL)
        return -1;
    *items = grown;
    size_t added = 0;
    const char *start = list;
    for (;;) {
        const char *end = strchr(start, ',');
        size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
        char *s = NULL;
        if (len == 0 || (s = malloc(len + 1)) == NULL) {
            for (size_t i = 0; i < added; i++)
                free(grown[*count + i]);
            return -1;
        }
        memcpy(s, start, len);
        s[len] = '\0';
        grown[*count + added++] = s;
        if (end == NULL)
            break;
        start = end + 1;
    }
    *count += added;
    return 0;
}

void cli_free_list(char **items, size_t count)
{
    if (items == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}

int cli_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int cli_print_line(const char *s)
{
    if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
        cli_err("cannot write to stdout: %s", strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_nomem(void)
{
    cli_err("out of memory");
    return CLI_EXIT_USAGE;
}
