/*
 * malloc_count.so - counts heap allocations, for the allocations-per-
 * operation figures of bench/run.
 *
 * Loaded with LD_PRELOAD, it stands in front of glibc's allocator and
 * forwards every call to it (__libc_malloc and friends, so no dlsym() is
 * needed and nothing recurses). At exit it writes one line to stderr:
 *
 *   malloc_count: allocs=N frees=M bytes=B
 *
 * where allocs counts malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc calls, and bytes the sizes they asked for.
 * A program run twice with different iteration counts gives the
 * allocations of one operation as the difference over the difference, so
 * start-up and self-checks cancel out. Counters are atomic, so threaded
 * programs count right too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's own entry points; they exist in every glibc since 2.0. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

static unsigned long n_alloc, n_free, n_bytes;

static void count(size_t size)
{
    __atomic_fetch_add(&n_alloc, 1ul, __ATOMIC_RELAXED);
    __atomic_fetch_add(&n_bytes, (unsigned long)size, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
    count(size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    count(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    /* realloc(p, 0) frees; realloc(NULL, n) allocates. Either way it asks
     * the allocator for work, and a library that grows buffers pays here. */
    if (size != 0)
        count(size);
    else if (p != NULL)
        __atomic_fetch_add(&n_free, 1ul, __ATOMIC_RELAXED);
    return __libc_realloc(p, size);
}

void free(void *p)
{
    if (p != NULL)
        __atomic_fetch_add(&n_free, 1ul, __ATOMIC_RELAXED);
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    count(size);
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    count(size);
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;

    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    count(size);
    p = __libc_memalign(align, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    count(size);
    return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    count(size);
    return __libc_memalign(page, (size + page - 1) / page * page);
}

/* Decimal without stdio: printf may allocate, and this runs at exit. */
static char *put_num(char *p, unsigned long v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

__attribute__((destructor)) static void report(void)
{
    char line[128];
    char *p = line;
    ssize_t w;

    p = put_str(p, "malloc_count: allocs=");
    p = put_num(p, __atomic_load_n(&n_alloc, __ATOMIC_RELAXED));
    p = put_str(p, " frees=");
    p = put_num(p, __atomic_load_n(&n_free, __ATOMIC_RELAXED));
    p = put_str(p, " bytes=");
    p = put_num(p, __atomic_load_n(&n_bytes, __ATOMIC_RELAXED));
    *p++ = '\n';
    w = write(2, line, (size_t)(p - line));
    (void)w;
}
