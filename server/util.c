/* server/util.c - see util.h */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

static void oom(void)
{
    static const char msg[] = "{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)r;
    abort();
}

void *jotd_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *jotd_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *jotd_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

char *jotd_xstrdup(const char *s)
{
    return jotd_xstrndup(s, strlen(s));
}

char *jotd_xstrndup(const char *s, size_t n)
{
    char *p = jotd_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void jotd_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

void jotd_free_secret(char *s)
{
    if (!s)
        return;
    jotd_wipe(s, strlen(s));
    free(s);
}

int64_t jotd_now(void)
{
    return (int64_t)time(NULL);
}

uint64_t jotd_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void jotd_buf_init(jotd_buf *b)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

void jotd_buf_release(jotd_buf *b)
{
    if (b->p) {
        jotd_wipe(b->p, b->cap);
        free(b->p);
    }
    jotd_buf_init(b);
}

char *jotd_buf_take(jotd_buf *b)
{
    char *p = b->p ? b->p : jotd_xstrdup("");
    jotd_buf_init(b);
    return p;
}

static void buf_reserve(jotd_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + extra + 1)
        cap *= 2;
    /* Grow by copying, so that the old bytes (perhaps a token) are wiped. */
    char *p = jotd_xmalloc(cap);
    if (b->p) {
        memcpy(p, b->p, b->len);
        jotd_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    b->p[b->len] = '\0';
}

void jotd_buf_add(jotd_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void jotd_buf_adds(jotd_buf *b, const char *s)
{
    jotd_buf_add(b, s, strlen(s));
}

void jotd_buf_printf(jotd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        jotd_buf_add(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void jotd_buf_json_strn(jotd_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    jotd_buf_add(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jotd_buf_add(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            jotd_buf_add(b, esc, 6);
            i++;
        } else if (c < 0x80) {
            jotd_buf_add(b, (const char *)u + i, 1);
            i++;
        } else {
            size_t l = utf8_seq(u + i, n - i);
            if (l == 0) {
                jotd_buf_adds(b, "\xef\xbf\xbd");
                i++;
            } else {
                jotd_buf_add(b, (const char *)u + i, l);
                i += l;
            }
        }
    }
    jotd_buf_add(b, "\"", 1);
}

void jotd_buf_json_str(jotd_buf *b, const char *s)
{
    jotd_buf_json_strn(b, s ? s : "", s ? strlen(s) : 0);
}

void jotd_timestamp(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

void jotd_log_raw(const char *json, size_t len)
{
    char *line = jotd_xmalloc(len + 1);
    memcpy(line, json, len);
    line[len] = '\n';
    size_t off = 0;
    while (off < len + 1) {
        ssize_t w = write(STDERR_FILENO, line + off, len + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(line);
}

void jotd_log(const char *level, const char *msg, ...)
{
    char ts[40];
    jotd_timestamp(ts, sizeof ts);
    jotd_buf b;
    jotd_buf_init(&b);
    jotd_buf_adds(&b, "{\"ts\":");
    jotd_buf_json_str(&b, ts);
    jotd_buf_adds(&b, ",\"level\":");
    jotd_buf_json_str(&b, level);
    jotd_buf_adds(&b, ",\"msg\":");
    jotd_buf_json_str(&b, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        jotd_buf_adds(&b, ",");
        jotd_buf_json_str(&b, k);
        jotd_buf_adds(&b, ":");
        jotd_buf_json_str(&b, v ? v : "");
    }
    va_end(ap);
    jotd_buf_adds(&b, "}");
    jotd_log_raw(b.p, b.len);
    jotd_buf_release(&b);
}

int jotd_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int jotd_strcaseeq(const char *a, const char *b)
{
    while (*a && *b) {
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
        a++;
        b++;
    }
    return *a == *b;
}

int jotd_strncaseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
        if (!a[i])
            return 1;
    }
    return 1;
}
