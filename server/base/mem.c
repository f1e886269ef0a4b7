/* server/base/mem.c - see base/mem.h */
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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


void jotd_free_secret(char *s)
{
    if (!s)
        return;
    jot_wipe(s, strlen(s));
    free(s);
}

