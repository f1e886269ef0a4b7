/* server/util.c - see util.h */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
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
    b->on_stack = 0;
}

void jotd_buf_init_stack(jotd_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->on_stack = 1;
    mem[0] = '\0';
}

void jotd_buf_release(jotd_buf *b)
{
    if (b->p) {
        /* Only the bytes written can hold anything of ours. */
        jotd_wipe(b->p, b->len);
        if (!b->on_stack)
            free(b->p);
    }
    jotd_buf_init(b);
}

char *jotd_buf_take(jotd_buf *b)
{
    char *p;
    if (!b->p) {
        p = jotd_xstrdup("");
    } else if (b->on_stack) {
        p = jotd_xstrndup(b->p, b->len);
        jotd_wipe(b->p, b->len);
    } else {
        p = b->p;
    }
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
        /* All of it: a formatting that did not fit left bytes past len. */
        jotd_wipe(b->p, b->cap);
        if (!b->on_stack)
            free(b->p);
    }
    b->p = p;
    b->cap = cap;
    b->on_stack = 0;
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
    /* Format in place (the text may hold a token: no copy of it is left
     * elsewhere); when it does not fit, grow and format again. */
    buf_reserve(b, 0);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->p[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
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

/* The formatted second is kept per thread: a request's log line then costs
 * one clock read and a few bytes of copying, not a gmtime_r and a
 * snprintf. */
void jotd_timestamp(char *out, size_t n)
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[64]; /* "YYYY-MM-DDTHH:MM:SS" */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000L);
    char tail[6] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z', '\0'};
    snprintf(out, n, "%s%s", cached, tail);
}

/* ---- The log writer ----------------------------------------------------
 *
 * Until jotd_log_start, every line is one write(2) of its own. After it,
 * lines are appended to a buffer under a mutex (a memcpy) and a thread of
 * its own writes them in batches, so that a request thread never waits on
 * stderr (a file, or a pipe to a slow collector). A batch is a run of whole
 * lines, so lines never interleave. When the buffer is full, loggers wait
 * for room: lines are never dropped. */

#define LOG_BUF_CAP (256u * 1024u)
#define LOG_BATCH_DELAY_NS 2000000L /* let lines gather for 2 ms */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t more; /* the writer waits here for lines */
    pthread_cond_t room; /* loggers wait here for space */
    char *buf;
    size_t len;
    int running;
    int stopping;
    int writer_idle;
    pthread_t thread;
} logw = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 0};

static void write_all(const char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

static void *log_writer(void *arg)
{
    (void)arg;
    char *out = jotd_xmalloc(LOG_BUF_CAP);
    pthread_mutex_lock(&logw.lock);
    for (;;) {
        while (logw.len == 0 && !logw.stopping) {
            logw.writer_idle = 1;
            pthread_cond_wait(&logw.more, &logw.lock);
            logw.writer_idle = 0;
        }
        if (logw.len == 0)
            break; /* stopping, and everything is written */
        if (!logw.stopping && logw.len < LOG_BUF_CAP / 2) {
            /* One write for many lines. */
            pthread_mutex_unlock(&logw.lock);
            struct timespec d = {0, LOG_BATCH_DELAY_NS};
            nanosleep(&d, NULL);
            pthread_mutex_lock(&logw.lock);
        }
        char *full = logw.buf;
        size_t n = logw.len;
        logw.buf = out;
        logw.len = 0;
        out = full;
        pthread_cond_broadcast(&logw.room);
        pthread_mutex_unlock(&logw.lock);
        write_all(out, n);
        pthread_mutex_lock(&logw.lock);
    }
    pthread_mutex_unlock(&logw.lock);
    free(out);
    return NULL;
}

void jotd_log_start(void)
{
    pthread_mutex_lock(&logw.lock);
    if (!logw.running) {
        logw.buf = jotd_xmalloc(LOG_BUF_CAP);
        logw.len = 0;
        logw.stopping = 0;
        if (pthread_create(&logw.thread, NULL, log_writer, NULL) == 0) {
            logw.running = 1;
        } else {
            free(logw.buf);
            logw.buf = NULL;
        }
    }
    pthread_mutex_unlock(&logw.lock);
}

void jotd_log_stop(void)
{
    pthread_mutex_lock(&logw.lock);
    if (!logw.running) {
        pthread_mutex_unlock(&logw.lock);
        return;
    }
    logw.stopping = 1;
    pthread_cond_signal(&logw.more);
    pthread_mutex_unlock(&logw.lock);
    pthread_join(logw.thread, NULL);
    pthread_mutex_lock(&logw.lock);
    logw.running = 0;
    free(logw.buf);
    logw.buf = NULL;
    pthread_cond_broadcast(&logw.room);
    pthread_mutex_unlock(&logw.lock);
}

void jotd_log_raw(const char *json, size_t len)
{
    pthread_mutex_lock(&logw.lock);
    if (logw.running && !logw.stopping && len + 1 <= LOG_BUF_CAP) {
        while (logw.running && logw.len + len + 1 > LOG_BUF_CAP)
            pthread_cond_wait(&logw.room, &logw.lock);
        if (logw.running) {
            memcpy(logw.buf + logw.len, json, len);
            logw.buf[logw.len + len] = '\n';
            logw.len += len + 1;
            if (logw.writer_idle)
                pthread_cond_signal(&logw.more);
            pthread_mutex_unlock(&logw.lock);
            return;
        }
    }
    pthread_mutex_unlock(&logw.lock);
    /* Without the writer (or for a line larger than its buffer): one
     * write(2) for the line and its newline. */
    char small[1024];
    char *line = len + 1 <= sizeof small ? small : jotd_xmalloc(len + 1);
    memcpy(line, json, len);
    line[len] = '\n';
    write_all(line, len + 1);
    if (line != small)
        free(line);
}

void jotd_log(const char *level, const char *msg, ...)
{
    char ts[40];
    jotd_timestamp(ts, sizeof ts);
    char stack[512];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
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

int jotd_ip_valid(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

void jotd_utf8_copy(char *dst, size_t n, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0, left = strlen(src);
    while (*p) {
        size_t len = utf8_seq(p, left);
        if (o + (len ? len : 1) >= n)
            break;
        if (len) {
            memcpy(dst + o, p, len);
            o += len;
            p += len;
            left -= len;
        } else {
            dst[o++] = '?';
            p++;
            left--;
        }
    }
    dst[o] = '\0';
}
