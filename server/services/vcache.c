/* server/services/vcache.c - see vcache.h */
#include "services/vcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define WAYS 4
#define NLOCKS 64

typedef struct ventry {
    uint64_t hash;
    char *token; /* NULL: empty */
    size_t len;
    int64_t exp;
    uint64_t used; /* the set's clock at the last hit or put */
    char sid[JOTD_VCACHE_SID_MAX];
    jotd_shared_resp *resp;
} ventry;

struct jotd_vcache {
    ventry *e; /* nsets * WAYS */
    size_t nsets;
    uint64_t seed;
    atomic_ulong clock;
    pthread_mutex_t locks[NLOCKS];
};

jotd_vcache *jotd_vcache_new(size_t entries, uint64_t seed)
{
    size_t nsets = 1;
    while (nsets * WAYS < entries)
        nsets *= 2;
    jotd_vcache *c = jotd_xcalloc(1, sizeof *c);
    c->e = jotd_xcalloc(nsets * WAYS, sizeof *c->e);
    c->nsets = nsets;
    c->seed = seed;
    atomic_init(&c->clock, 1);
    for (size_t i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

static void clear(ventry *e)
{
    if (e->token) {
        jot_wipe(e->token, e->len);
        free(e->token);
    }
    jotd_shared_resp_release(e->resp);
    memset(e, 0, sizeof *e);
}

void jotd_vcache_free(jotd_vcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsets * WAYS; i++)
        clear(&c->e[i]);
    for (size_t i = 0; i < NLOCKS; i++)
        pthread_mutex_destroy(&c->locks[i]);
    free(c->e);
    free(c);
}

/* FNV-1a over the signature (the part after the last '.'), keyed by the
 * seed: tokens reach the lookup from clients, so their place in the table
 * must not be predictable. */
static uint64_t token_hash(const jotd_vcache *c, const char *t, size_t len)
{
    size_t i = len;
    while (i > 0 && t[i - 1] != '.')
        i--;
    uint64_t h = 1469598103934665603ull ^ c->seed;
    for (; i < len; i++) {
        h ^= (unsigned char)t[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

int jotd_vcache_get(jotd_vcache *c, const char *token, size_t len, int64_t now, jotd_shared_resp **resp,
                    char sid[JOTD_VCACHE_SID_MAX])
{
    if (len > JOTD_VCACHE_TOKEN_MAX)
        return 0;
    uint64_t h = token_hash(c, token, len);
    size_t set = (size_t)h & (c->nsets - 1);
    pthread_mutex_t *lock = &c->locks[set % NLOCKS];
    int hit = 0;
    pthread_mutex_lock(lock);
    ventry *e = &c->e[set * WAYS];
    for (int w = 0; w < WAYS; w++, e++) {
        if (e->token && e->hash == h && e->len == len && memcmp(e->token, token, len) == 0) {
            if (now < e->exp) {
                e->used = atomic_fetch_add_explicit(&c->clock, 1, memory_order_relaxed);
                *resp = e->resp;
                /* The reference is taken under the lock, so an eviction
                 * cannot free the response in between. */
                jotd_shared_resp_ref(e->resp);
                memcpy(sid, e->sid, JOTD_VCACHE_SID_MAX);
                hit = 1;
            } else {
                clear(e); /* expired: it will not answer again */
            }
            break;
        }
    }
    pthread_mutex_unlock(lock);
    return hit;
}

void jotd_vcache_put(jotd_vcache *c, const char *token, size_t len, int64_t exp, const char *sid,
                     jotd_shared_resp *resp, int64_t now)
{
    size_t sl = strlen(sid);
    if (len > JOTD_VCACHE_TOKEN_MAX || sl >= JOTD_VCACHE_SID_MAX || exp <= now)
        return;
    uint64_t h = token_hash(c, token, len);
    size_t set = (size_t)h & (c->nsets - 1);
    char *copy = jotd_xstrndup(token, len);
    jotd_shared_resp_ref(resp);
    pthread_mutex_t *lock = &c->locks[set % NLOCKS];
    pthread_mutex_lock(lock);
    ventry *base = &c->e[set * WAYS], *victim = NULL;
    /* The same token put by another thread meanwhile, else a free or
     * expired way, else the least recently used one. */
    for (int w = 0; w < WAYS && !victim; w++)
        if (base[w].token && base[w].hash == h && base[w].len == len && memcmp(base[w].token, token, len) == 0)
            victim = &base[w];
    for (int w = 0; w < WAYS && !victim; w++)
        if (!base[w].token || base[w].exp <= now)
            victim = &base[w];
    if (!victim) {
        victim = base;
        for (int w = 1; w < WAYS; w++)
            if (base[w].used < victim->used)
                victim = &base[w];
    }
    clear(victim);
    victim->hash = h;
    victim->token = copy;
    victim->len = len;
    victim->exp = exp;
    victim->used = atomic_fetch_add_explicit(&c->clock, 1, memory_order_relaxed);
    memcpy(victim->sid, sid, sl + 1);
    victim->resp = resp;
    pthread_mutex_unlock(lock);
}
