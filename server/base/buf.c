/* server/base/buf.c - see base/buf.h */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/text.h"

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
        jot_wipe(b->p, b->len);
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
        jot_wipe(b->p, b->len);
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
        jot_wipe(b->p, b->cap);
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
            size_t l = jotd_utf8_seq(u + i, n - i);
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
