/* server/services/revoked.c - see revoked.h */
#include "services/revoked.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

typedef struct entry {
    struct entry *next;
    int64_t drop_at;
    size_t len;
    char sid[];
} entry;

struct jotd_revoked {
    pthread_rwlock_t lock;
    entry **buckets;
    size_t nbuckets;
    size_t count;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a: sids are random already. */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

jotd_revoked *jotd_revoked_new(void)
{
    jotd_revoked *r = jotd_xcalloc(1, sizeof *r);
    pthread_rwlock_init(&r->lock, NULL);
    r->nbuckets = 256;
    r->buckets = jotd_xcalloc(r->nbuckets, sizeof *r->buckets);
    return r;
}

void jotd_revoked_free(jotd_revoked *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nbuckets; i++) {
        entry *e = r->buckets[i];
        while (e) {
            entry *n = e->next;
            free(e);
            e = n;
        }
    }
    free(r->buckets);
    pthread_rwlock_destroy(&r->lock);
    free(r);
}

static void grow(jotd_revoked *r)
{
    size_t nb = r->nbuckets * 2;
    entry **b = jotd_xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < r->nbuckets; i++) {
        entry *e = r->buckets[i];
        while (e) {
            entry *n = e->next;
            size_t k = hash(e->sid, e->len) & (nb - 1);
            e->next = b[k];
            b[k] = e;
            e = n;
        }
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = nb;
}

void jotd_revoked_add(jotd_revoked *r, const char *sid, int64_t drop_at)
{
    size_t len = strlen(sid);
    pthread_rwlock_wrlock(&r->lock);
    size_t k = hash(sid, len) & (r->nbuckets - 1);
    for (entry *e = r->buckets[k]; e; e = e->next) {
        if (e->len == len && memcmp(e->sid, sid, len) == 0) {
            if (drop_at > e->drop_at)
                e->drop_at = drop_at;
            pthread_rwlock_unlock(&r->lock);
            return;
        }
    }
    entry *e = jotd_xmalloc(sizeof *e + len + 1);
    memcpy(e->sid, sid, len + 1);
    e->len = len;
    e->drop_at = drop_at;
    e->next = r->buckets[k];
    r->buckets[k] = e;
    if (++r->count > 2 * r->nbuckets)
        grow(r);
    pthread_rwlock_unlock(&r->lock);
}

int jotd_revoked_has(jotd_revoked *r, const char *sid, size_t len)
{
    int found = 0;
    pthread_rwlock_rdlock(&r->lock);
    size_t k = hash(sid, len) & (r->nbuckets - 1);
    for (entry *e = r->buckets[k]; e; e = e->next) {
        if (e->len == len && memcmp(e->sid, sid, len) == 0) {
            found = 1;
            break;
        }
    }
    pthread_rwlock_unlock(&r->lock);
    return found;
}

void jotd_revoked_sweep(jotd_revoked *r, int64_t now)
{
    pthread_rwlock_wrlock(&r->lock);
    for (size_t i = 0; i < r->nbuckets; i++) {
        entry **pp = &r->buckets[i];
        while (*pp) {
            entry *e = *pp;
            if (e->drop_at <= now) {
                *pp = e->next;
                free(e);
                r->count--;
            } else {
                pp = &e->next;
            }
        }
    }
    pthread_rwlock_unlock(&r->lock);
}

size_t jotd_revoked_count(jotd_revoked *r)
{
    pthread_rwlock_rdlock(&r->lock);
    size_t n = r->count;
    pthread_rwlock_unlock(&r->lock);
    return n;
}

void jotd_revoked_drain(jotd_revoked *r, void (*cb)(const char *key, int64_t t, void *ctx), void *ctx)
{
    pthread_rwlock_wrlock(&r->lock);
    for (size_t i = 0; i < r->nbuckets; i++) {
        entry *e = r->buckets[i];
        while (e) {
            entry *n = e->next;
            cb(e->sid, e->drop_at, ctx);
            free(e);
            e = n;
        }
        r->buckets[i] = NULL;
    }
    r->count = 0;
    pthread_rwlock_unlock(&r->lock);
}
