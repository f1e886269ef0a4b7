/* See fuzz_common.h. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_common.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef JOT_FUZZ_DIR
#error "JOT_FUZZ_DIR must name the fuzz/ source directory"
#endif

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\n==fuzz property failed== %s:%d: %s\n  ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    __builtin_trap();
}

char *fz_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void fz_load_keys(fz_keys *out)
{
    const char *dir = JOT_FUZZ_DIR "/keys";
    DIR *d = opendir(dir);
    FZ_CHECK(d != NULL, "cannot open %s", dir);
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".jwk") != 0)
            continue;
        if (out->count == cap) {
            cap = cap ? cap * 2 : 32;
            out->names = realloc(out->names, cap * sizeof *out->names);
            FZ_CHECK(out->names != NULL, "out of memory");
        }
        out->names[out->count++] = strdup(e->d_name);
    }
    closedir(d);
    FZ_CHECK(out->count > 0, "no keys in %s", dir);
    qsort(out->names, out->count, sizeof *out->names, by_name);
    out->priv = calloc(out->count, sizeof *out->priv);
    FZ_CHECK(out->priv != NULL, "out of memory");
    for (size_t i = 0; i < out->count; i++) {
        char path[4096];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, out->names[i]);
        char *text = fz_read_file(path, &len);
        FZ_CHECK(text != NULL, "cannot read %s", path);
        jot_status s = jot_key_from_jwk(text, len, &out->priv[i]);
        FZ_CHECK(s == JOT_OK, "%s: %s", path, jot_strerror(s));
        free(text);
    }
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The length of the RFC 8259 6 number at s[0..n), or 0. */
static size_t number_len(const char *s, size_t n)
{
    size_t i = s[0] == '-';
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        if (++i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i;
}

char *fz_zero_numbers(const char *text, size_t n)
{
    char *out = malloc(n + 1);
    FZ_CHECK(out != NULL, "out of memory");
    memcpy(out, text, n);
    out[n] = '\0';
    int in_string = 0;
    for (size_t i = 0; i < n;) {
        char c = out[i];
        if (in_string || c == '"') {
            if (in_string && c == '\\')
                i++;
            else if (c == '"')
                in_string = !in_string;
            i++;
            continue;
        }
        if (c != '-' && !is_digit(c)) {
            i++;
            continue;
        }
        /* The whole run of number characters, or nothing: "01" stays. */
        size_t run = i;
        while (run < n && (is_digit(out[run]) || (out[run] && strchr("+-.eE", out[run]))))
            run++;
        if (number_len(out + i, run - i) == run - i) {
            int real = memchr(out + i, '.', run - i) || memchr(out + i, 'e', run - i) || memchr(out + i, 'E', run - i);
            memset(out + i, ' ', run - i);
            memcpy(out + i, real ? "0.0" : "0", real ? 3 : 1);
        }
        i = run;
    }
    return out;
}

int fz_verify_status_ok(jot_status s)
{
    return s == JOT_OK || (s >= JOT_E_TOO_LARGE && s <= JOT_E_MISSING_CLAIM);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* k2 is k after an export and re-import; meta: the JWK members kid and alg
 * travel too (a PEM carries neither). */
static void same_key(const jot_key *k, const jot_key *k2, int priv, int meta, const char *how)
{
    char t1[44], t2[44];
    FZ_CHECK(jot_key_thumbprint(k, t1) == JOT_OK && jot_key_thumbprint(k2, t2) == JOT_OK, "%s: thumbprint", how);
    FZ_CHECK(strcmp(t1, t2) == 0, "%s: thumbprint %s became %s", how, t1, t2);
    FZ_CHECK(jot_key_type(k) == jot_key_type(k2), "%s: type", how);
    FZ_CHECK(str_eq(jot_key_curve(k), jot_key_curve(k2)), "%s: curve", how);
    FZ_CHECK(jot_key_bits(k) == jot_key_bits(k2), "%s: bits %u became %u", how, jot_key_bits(k), jot_key_bits(k2));
    FZ_CHECK(jot_key_is_private(k2) == priv, "%s: private %d, want %d", how, jot_key_is_private(k2), priv);
    if (meta) {
        FZ_CHECK(str_eq(jot_key_kid(k), jot_key_kid(k2)), "%s: kid", how);
        FZ_CHECK(jot_key_alg(k) == jot_key_alg(k2), "%s: alg", how);
    }
}

/* Export k as a JWK (flags), re-import, compare, and check that the
 * re-imported key exports to the same text. Returns the re-imported key. */
static jot_key *jwk_round_trip(const jot_key *k, unsigned flags)
{
    const char *how = flags == JOT_JWK_PRIVATE ? "private JWK" : "public JWK";
    char *text = NULL, *text2 = NULL;
    jot_key *k2 = NULL;
    jot_status s = jot_key_to_jwk(k, flags, &text);
    FZ_CHECK(s == JOT_OK, "%s export: %s", how, jot_strerror(s));
    s = jot_key_from_jwk(text, strlen(text), &k2);
    FZ_CHECK(s == JOT_OK, "%s re-import: %s\n  %s", how, jot_strerror(s), text);
    same_key(k, k2, flags == JOT_JWK_PRIVATE, 1, how);
    s = jot_key_to_jwk(k2, flags, &text2);
    FZ_CHECK(s == JOT_OK, "%s second export: %s", how, jot_strerror(s));
    FZ_CHECK(strcmp(text, text2) == 0, "%s export not stable:\n  %s\n  %s", how, text, text2);
    jot_free(text);
    jot_free(text2);
    return k2;
}

static void pem_round_trip(const jot_key *k, unsigned flags)
{
    const char *how = flags == JOT_JWK_PRIVATE ? "private PEM" : "public PEM";
    char *text = NULL, *text2 = NULL;
    jot_key *k2 = NULL;
    jot_status s = jot_key_to_pem(k, flags, &text);
    FZ_CHECK(s == JOT_OK, "%s export: %s", how, jot_strerror(s));
    s = jot_key_from_pem(text, strlen(text), &k2);
    FZ_CHECK(s == JOT_OK, "%s re-import: %s\n%s", how, jot_strerror(s), text);
    same_key(k, k2, flags == JOT_JWK_PRIVATE, 0, how);
    s = jot_key_to_pem(k2, flags, &text2);
    FZ_CHECK(s == JOT_OK && strcmp(text, text2) == 0, "%s export not stable", how);
    jot_free(text);
    jot_free(text2);
    jot_key_free(k2);
}

void fz_check_key(const jot_key *k)
{
    char tp[44];
    char *text = NULL;
    FZ_CHECK(jot_key_thumbprint(k, tp) == JOT_OK && strlen(tp) == 43, "thumbprint");
    jot_kty kty = jot_key_type(k);
    int priv = jot_key_is_private(k);
    FZ_CHECK(kty >= JOT_KTY_OCT && kty <= JOT_KTY_OKP, "type %d", (int)kty);
    FZ_CHECK(kty != JOT_KTY_OCT || priv, "an HMAC key is always private");
    unsigned algs = jot_key_algs(k);
    FZ_CHECK((algs & ~(unsigned)JOT_ALG_ALL) == 0, "algs 0x%x", algs);
    for (int a = 1; a <= JOT_ALG_MAX; a++)
        FZ_CHECK((jot_key_fits(k, (jot_alg)a) == JOT_OK) == ((algs & JOT_ALG_BIT(a)) != 0),
                 "jot_key_fits and jot_key_algs disagree on %s", jot_alg_name((jot_alg)a));
    if (jot_key_alg(k) != JOT_ALG_UNSET)
        FZ_CHECK((algs & ~JOT_ALG_BIT(jot_key_alg(k))) == 0, "a key bound to %s serves others",
                 jot_alg_name(jot_key_alg(k)));

    jot_key *pub = NULL;
    if (kty == JOT_KTY_OCT) {
        FZ_CHECK(jot_key_to_jwk(k, JOT_JWK_PUBLIC, &text) == JOT_E_KEY && !text, "HMAC key has no public half");
        FZ_CHECK(jot_key_to_pem(k, JOT_JWK_PUBLIC, &text) == JOT_E_UNSUPPORTED && !text, "HMAC key has no PEM");
    } else {
        pub = jwk_round_trip(k, JOT_JWK_PUBLIC);
        pem_round_trip(k, JOT_JWK_PUBLIC);
        FZ_CHECK(jot_key_to_jwk(pub, JOT_JWK_PRIVATE, &text) == JOT_E_KEY && !text, "public key exported private");
    }
    if (priv) {
        jot_key_free(jwk_round_trip(k, JOT_JWK_PRIVATE));
        if (kty != JOT_KTY_OCT)
            pem_round_trip(k, JOT_JWK_PRIVATE);
    }

    /* A private key and its public half belong together: what one signs the
     * other verifies (one algorithm, the first the key serves; RSA keys are
     * limited in size so that one input costs no more than a few ms). */
    if (priv && algs && !(kty == JOT_KTY_RSA && jot_key_bits(k) > 4096)) {
        int a = 1;
        while (!(algs & JOT_ALG_BIT(a)))
            a++;
        static const char msg[] = "eyJhbGciOiJIUzI1NiJ9.e30";
        uint8_t sig[JOT_SIG_MAX];
        size_t sig_len = 0;
        jot_status s = jot_sig_sign(k, (jot_alg)a, msg, sizeof msg - 1, sig, &sig_len);
        FZ_CHECK(s == JOT_OK, "%s sign: %s", jot_alg_name((jot_alg)a), jot_strerror(s));
        s = jot_sig_verify(pub ? pub : k, (jot_alg)a, msg, sizeof msg - 1, sig, sig_len);
        FZ_CHECK(s == JOT_OK, "%s: the public half does not verify the private half's signature: %s",
                 jot_alg_name((jot_alg)a), jot_strerror(s));
    }
    jot_key_free(pub);
}
