/*
 * server/util.h - small helpers shared by every part of jotd: memory that
 * never comes back NULL, clocks, a growable string buffer with JSON string
 * escaping, and the JSON log line writer.
 *
 * jotd, unlike libjot, decides what running out of memory means: it logs one
 * line and aborts (a supervisor restarts it), so callers never check for NULL.
 */
#ifndef JOTD_UTIL_H
#define JOTD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define JOTD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JOTD_PRINTF(f, a)
#endif

void *jotd_xmalloc(size_t n);
void *jotd_xcalloc(size_t count, size_t size);
void *jotd_xrealloc(void *p, size_t n);
char *jotd_xstrdup(const char *s);
char *jotd_xstrndup(const char *s, size_t n);

/* Wipe memory the compiler may not skip (OPENSSL_cleanse). */
void jotd_wipe(void *p, size_t n);
/* Wipe a NUL-terminated string and free it. NULL is ok. */
void jotd_free_secret(char *s);

/* Seconds since the epoch (wall clock), and a monotonic clock in
 * nanoseconds for measuring durations. */
int64_t jotd_now(void);
uint64_t jotd_mono_ns(void);

/* A growable NUL-terminated byte buffer. */
typedef struct jotd_buf {
    char *p;
    size_t len;
    size_t cap;
    int on_stack; /* p is the caller's memory until the first growth */
} jotd_buf;

void jotd_buf_init(jotd_buf *b);
/* Start in the caller's memory (cap bytes, cap >= 1), moving to the heap
 * only when it outgrows it: the common short string costs no allocation. */
void jotd_buf_init_stack(jotd_buf *b, char *mem, size_t cap);
/* Wipes the bytes (a buffer may have held a token) and frees them. */
void jotd_buf_release(jotd_buf *b);
/* Hand the bytes over to the caller (free with free()); b is empty after. */
char *jotd_buf_take(jotd_buf *b);
void jotd_buf_add(jotd_buf *b, const char *s, size_t n);
void jotd_buf_adds(jotd_buf *b, const char *s);
void jotd_buf_printf(jotd_buf *b, const char *fmt, ...) JOTD_PRINTF(2, 3);
/* Append s as a JSON string literal (quotes included), RFC 8259 7. Bytes
 * that are not valid UTF-8 are replaced by U+FFFD so the output always is
 * valid JSON. */
void jotd_buf_json_str(jotd_buf *b, const char *s);
void jotd_buf_json_strn(jotd_buf *b, const char *s, size_t n);

/* Write one JSON log line to stderr: {"ts":...,"level":...,"msg":...,
 * key: value...}. The variadic part is pairs of const char * (key, value)
 * ended by NULL; values are written as JSON strings. Lines from several
 * threads never interleave. Never pass a secret. */
void jotd_log(const char *level, const char *msg, ...);
/* Write an already formatted JSON object (without newline) as one line. */
void jotd_log_raw(const char *json, size_t len);
/* From jotd_log_start on, lines go through a writer thread in batches (a
 * request thread never blocks on stderr); jotd_log_stop writes what is left
 * and joins it. Without them every line is a write(2) of its own. */
void jotd_log_start(void);
void jotd_log_stop(void);
/* An RFC 3339 UTC timestamp with milliseconds into out (at least 32). */
void jotd_timestamp(char *out, size_t n);

/* Constant-time equality of two byte strings of the same length. */
int jotd_ct_equal(const void *a, const void *b, size_t n);

/* ASCII case-insensitive comparison (locale independent). */
int jotd_strcaseeq(const char *a, const char *b);
int jotd_strncaseeq(const char *a, const char *b, size_t n);

/* Copy src into dst (n > 0 bytes, NUL-terminated) as valid UTF-8: a byte
 * that starts no valid sequence becomes '?', and the copy is cut at a
 * character boundary. For text from clients that a store must accept
 * (PostgreSQL refuses invalid UTF-8). */
void jotd_utf8_copy(char *dst, size_t n, const char *src);

/* Whether s is a numeric IPv4 or IPv6 address. */
int jotd_ip_valid(const char *s);

#endif
