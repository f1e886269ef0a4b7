/*
 * server/store/successors.c - the grace window's sealed successors in
 * memory (see successors.h): a hash table by (family, jti), whose entries
 * are also chained in the order they came. That order is the order of
 * their spent_at, so expired entries are always taken from the head of
 * the chain, never searched for.
 */
#include "successors.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define SEALED_MAX 1000000

typedef struct sealed {
    struct sealed *next_hash;
    struct sealed *next_age;
    int64_t spent_at;
    int64_t until;
    uint64_t hash;
    uint8_t *data;
    size_t len;
    uint8_t spent_by[32];
    unsigned grace_used;
    char key[]; /* family_id, NUL, jti, NUL */
} sealed;

struct jotd_successor_cache {
    sealed **buckets;
    size_t nbuckets; /* a power of two */
    size_t n;
    sealed *oldest;
    sealed *newest;
};

jotd_successor_cache *jotd_successor_cache_new(void)
{
    jotd_successor_cache *m = jotd_xcalloc(1, sizeof *m);
    m->nbuckets = 1024;
    m->buckets = jotd_xcalloc(m->nbuckets, sizeof *m->buckets);
    return m;
}

static void sealed_free(sealed *e)
{
    jot_wipe(e->data, e->len);
    free(e->data);
    free(e);
}

void jotd_successor_cache_free(jotd_successor_cache *m)
{
    if (!m)
        return;
    for (sealed *e = m->oldest; e;) {
        sealed *next = e->next_age;
        sealed_free(e);
        e = next;
    }
    free(m->buckets);
    free(m);
}

/* FNV-1a over family_id, a separator, jti. */
static uint64_t key_hash(const char *family_id, const char *jti)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = family_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = jti; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static sealed *find(jotd_successor_cache *m, const char *family_id, const char *jti)
{
    uint64_t h = key_hash(family_id, jti);
    size_t fl = strlen(family_id);
    for (sealed *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next_hash)
        if (e->hash == h && strcmp(e->key, family_id) == 0 && strcmp(e->key + fl + 1, jti) == 0)
            return e;
    return NULL;
}

static void grow(jotd_successor_cache *m)
{
    size_t nb = m->nbuckets * 2;
    sealed **b = jotd_xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (sealed *e = m->buckets[i]; e;) {
            sealed *next = e->next_hash;
            e->next_hash = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

static void drop_oldest(jotd_successor_cache *m)
{
    sealed *e = m->oldest;
    for (sealed **pp = &m->buckets[e->hash & (m->nbuckets - 1)]; *pp; pp = &(*pp)->next_hash) {
        if (*pp == e) {
            *pp = e->next_hash;
            break;
        }
    }
    m->oldest = e->next_age;
    if (!m->oldest)
        m->newest = NULL;
    m->n--;
    sealed_free(e);
}

void jotd_successor_cache_put(jotd_successor_cache *m, const char *family_id, const char *jti, int64_t spent_at,
                              const jotd_successor *succ)
{
    /* A few expired entries go at each insertion, so that the purge
     * rarely finds many: freeing thousands at once would hold the store's
     * lock for milliseconds. */
    for (int i = 0; i < 4 && m->oldest && m->oldest->until <= spent_at; i++)
        drop_oldest(m);
    if (m->n >= SEALED_MAX)
        return;
    size_t fl = strlen(family_id), jl = strlen(jti);
    sealed *e = jotd_xmalloc(sizeof *e + fl + jl + 2);
    memcpy(e->key, family_id, fl + 1);
    memcpy(e->key + fl + 1, jti, jl + 1);
    e->hash = key_hash(family_id, jti);
    e->spent_at = spent_at;
    e->until = succ->sealed_until;
    e->data = jotd_xmalloc(succ->sealed_len ? succ->sealed_len : 1);
    memcpy(e->data, succ->sealed, succ->sealed_len);
    e->len = succ->sealed_len;
    memcpy(e->spent_by, succ->spent_by, sizeof e->spent_by);
    e->grace_used = 0;
    e->next_age = NULL;
    if (m->newest)
        m->newest->next_age = e;
    else
        m->oldest = e;
    m->newest = e;
    if (++m->n > 2 * m->nbuckets)
        grow(m);
    sealed **bucket = &m->buckets[e->hash & (m->nbuckets - 1)];
    e->next_hash = *bucket;
    *bucket = e;
}

void jotd_successor_cache_read(jotd_successor_cache *m, const char *family_id, const char *jti,
                               jotd_refresh_info *info)
{
    sealed *e = find(m, family_id, jti);
    if (!e)
        return;
    info->successor_sealed = jotd_xmalloc(e->len ? e->len : 1);
    memcpy(info->successor_sealed, e->data, e->len);
    info->successor_sealed_len = e->len;
    memcpy(info->spent_by, e->spent_by, sizeof info->spent_by);
    info->grace_used = e->grace_used;
}

jotd_store_rc jotd_successor_cache_grace(jotd_successor_cache *m, const char *family_id, const char *jti,
                                         unsigned max)
{
    sealed *e = find(m, family_id, jti);
    if (!e)
        return JOTD_STORE_NOT_FOUND;
    if (e->grace_used >= max)
        return JOTD_STORE_CONFLICT;
    e->grace_used++;
    return JOTD_STORE_OK;
}

void jotd_successor_cache_purge(jotd_successor_cache *m, int64_t grace_end)
{
    while (m->oldest && m->oldest->spent_at < grace_end)
        drop_oldest(m);
}
