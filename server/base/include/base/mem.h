/*
 * base/mem.h - memory for every layer of jotd: allocation that never comes
 * back NULL, and the wiping of secrets.
 *
 * jotd, unlike libjot, decides what running out of memory means: it logs one
 * line and aborts (a supervisor restarts it), so callers never check for NULL.
 * Wiping and constant-time comparison are libjot's (jot/util.h: jot_wipe,
 * jot_equal), included here for every user of this header.
 */
#ifndef JOTD_BASE_MEM_H
#define JOTD_BASE_MEM_H

#include <stddef.h>

#include <jot/util.h>

void *jotd_xmalloc(size_t n);
void *jotd_xcalloc(size_t count, size_t size);
void *jotd_xrealloc(void *p, size_t n);
char *jotd_xstrdup(const char *s);
char *jotd_xstrndup(const char *s, size_t n);

/* Wipe a NUL-terminated string (jot_wipe) and free it. NULL is ok. */
void jotd_free_secret(char *s);

#endif
