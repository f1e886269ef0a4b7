/*
 * base/mem.h - memory for every layer of jotd: allocation that never comes
 * back NULL, and the wiping of secrets.
 *
 * jotd, unlike libjot, decides what running out of memory means: it logs one
 * line and aborts (a supervisor restarts it), so callers never check for NULL.
 */
#ifndef JOTD_BASE_MEM_H
#define JOTD_BASE_MEM_H

#include <stddef.h>

void *jotd_xmalloc(size_t n);
void *jotd_xcalloc(size_t count, size_t size);
void *jotd_xrealloc(void *p, size_t n);
char *jotd_xstrdup(const char *s);
char *jotd_xstrndup(const char *s, size_t n);

/* Wipe memory the compiler may not skip (OPENSSL_cleanse). */
void jotd_wipe(void *p, size_t n);
/* Wipe a NUL-terminated string and free it. NULL is ok. */
void jotd_free_secret(char *s);
/* Constant-time equality of two byte strings of the same length. */
int jotd_ct_equal(const void *a, const void *b, size_t n);

#endif
