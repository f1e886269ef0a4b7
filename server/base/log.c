/* server/base/log.c - see base/log.h */
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"

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

void jotd_log_head(jotd_buf *b, const char *level, const char *msg)
{
    char ts[40];
    jotd_timestamp(ts, sizeof ts);
    jotd_buf_adds(b, "{\"ts\":");
    jotd_buf_json_str(b, ts);
    jotd_buf_adds(b, ",\"level\":");
    jotd_buf_json_str(b, level);
    jotd_buf_adds(b, ",\"msg\":");
    jotd_buf_json_str(b, msg);
}

void jotd_log(const char *level, const char *msg, ...)
{
    char stack[512];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
    jotd_log_head(&b, level, msg);
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
