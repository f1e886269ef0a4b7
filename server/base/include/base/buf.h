/*
 * base/buf.h - a growable NUL-terminated byte buffer, with JSON string
 * escaping: how every layer of jotd writes text (responses, log lines).
 */
#ifndef JOTD_BASE_BUF_H
#define JOTD_BASE_BUF_H

#include <stddef.h>

#if !defined(JOTD_PRINTF)
#if defined(__GNUC__) || defined(__clang__)
#define JOTD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JOTD_PRINTF(f, a)
#endif
#endif

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

#endif
