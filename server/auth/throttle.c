/* server/auth/throttle.c - see throttle.h */
#include "auth/throttle.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The tables are bounded (max_entries names each): beyond it new names are
 * refused (fail closed) until the sweep frees room. Only names with failures
 * (or attempts in flight) are kept, so that filling the table costs an
 * attacker one argon2id verification per name, not one cheap request. */
#define NBUCKETS 4096
#define MAX_DELAY_MS 8000u

typedef struct entry {
    struct entry *next;
    int64_t window_start;
    unsigned failures;
    unsigned inflight;
    char key[];
} entry;

typedef struct table {
    entry *b[NBUCKETS];
    size_t count;
} table;

struct jotd_throttle {
    pthread_mutex_t lock;
    table users;
    table addrs;
    unsigned user_limit;
    unsigned addr_limit;
    unsigned slow_after;
    int64_t window;
    size_t max_entries;
    uint64_t seed; /* keys the bucket hash: names are chosen by clients */
};

static size_t bucket(const jotd_throttle *t, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ t->seed;
    for (; *s; s++) {
        /* Usernames are compared case-insensitively, like the store. */
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h ^= c;
        h *= 1099511628211ull;
    }
    return (size_t)(h % NBUCKETS);
}

static entry *lookup(jotd_throttle *t, table *tb, const char *key, int64_t now, int create)
{
    size_t k = bucket(t, key);
    for (entry *e = tb->b[k]; e; e = e->next) {
        if (jotd_strcaseeq(e->key, key)) {
            if (now - e->window_start >= t->window) {
                e->window_start = now;
                e->failures = 0;
            }
            return e;
        }
    }
    if (!create || tb->count >= t->max_entries)
        return NULL;
    size_t len = strlen(key);
    entry *e = jotd_xcalloc(1, sizeof *e + len + 1);
    memcpy(e->key, key, len + 1);
    e->window_start = now;
    e->next = tb->b[k];
    tb->b[k] = e;
    tb->count++;
    return e;
}

/* Drop an entry that holds nothing worth remembering (no failure, no
 * attempt in flight): successful and cancelled attempts must not fill the
 * table. */
static void forget(jotd_throttle *t, table *tb, entry *e)
{
    for (entry **pp = &tb->b[bucket(t, e->key)]; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            free(e);
            tb->count--;
            return;
        }
    }
}

jotd_throttle *jotd_throttle_new(unsigned user_limit, unsigned addr_limit, unsigned slow_after, int64_t window,
                                 size_t max_entries, uint64_t seed)
{
    jotd_throttle *t = jotd_xcalloc(1, sizeof *t);
    t->max_entries = max_entries;
    t->seed = seed;
    pthread_mutex_init(&t->lock, NULL);
    t->user_limit = user_limit;
    t->addr_limit = addr_limit;
    t->slow_after = slow_after;
    t->window = window;
    return t;
}

static void table_clear(table *tb, int64_t now, int64_t window, int all)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        entry **pp = &tb->b[i];
        while (*pp) {
            entry *e = *pp;
            if (all || (e->inflight == 0 && now - e->window_start >= window)) {
                *pp = e->next;
                free(e);
                tb->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

void jotd_throttle_free(jotd_throttle *t)
{
    if (!t)
        return;
    table_clear(&t->users, 0, 0, 1);
    table_clear(&t->addrs, 0, 0, 1);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

void jotd_throttle_sweep(jotd_throttle *t, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    table_clear(&t->users, now, t->window, 0);
    table_clear(&t->addrs, now, t->window, 0);
    pthread_mutex_unlock(&t->lock);
}

int jotd_throttle_begin(jotd_throttle *t, const char *user, const char *addr, int64_t now, unsigned *delay_ms,
                        unsigned *retry_after)
{
    *delay_ms = 0;
    *retry_after = 0;
    pthread_mutex_lock(&t->lock);
    entry *u = lookup(t, &t->users, user, now, 1);
    entry *a = lookup(t, &t->addrs, addr, now, 1);
    if (!u || !a) {
        pthread_mutex_unlock(&t->lock);
        *retry_after = 60;
        return -1;
    }
    unsigned nu = u->failures + u->inflight;
    unsigned na = a->failures + a->inflight;
    if (nu >= t->user_limit || na >= t->addr_limit) {
        int64_t left = t->window;
        if (nu >= t->user_limit && u->window_start + t->window - now < left)
            left = u->window_start + t->window - now;
        if (na >= t->addr_limit && a->window_start + t->window - now < left)
            left = a->window_start + t->window - now;
        *retry_after = (unsigned)(left > 0 ? left : 1);
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    u->inflight++;
    a->inflight++;
    /* The limit counts attempts in flight as failures (so that parallel
     * guesses cannot slip past it), but the slow-down counts failures
     * only: a user logging in from several tabs at once has failed
     * nothing and waits for nothing. */
    if (u->failures >= t->slow_after) {
        unsigned shift = u->failures - t->slow_after;
        *delay_ms = shift >= 4 ? MAX_DELAY_MS : 1000u << shift;
    }
    pthread_mutex_unlock(&t->lock);
    return 0;
}

void jotd_throttle_end(jotd_throttle *t, const char *user, const char *addr, int outcome, int64_t now)
{
    int success = outcome == JOTD_ATTEMPT_SUCCEEDED;
    int failed = outcome == JOTD_ATTEMPT_FAILED;
    pthread_mutex_lock(&t->lock);
    entry *u = lookup(t, &t->users, user, now, 0);
    entry *a = lookup(t, &t->addrs, addr, now, 0);
    if (u) {
        if (u->inflight)
            u->inflight--;
        if (success)
            u->failures = 0;
        else if (failed)
            u->failures++;
        if (u->failures == 0 && u->inflight == 0)
            forget(t, &t->users, u);
    }
    if (a) {
        if (a->inflight)
            a->inflight--;
        /* A success does not clear the address: one valid account must not
         * let an address reset its count of failures against others. */
        if (failed)
            a->failures++;
        if (a->failures == 0 && a->inflight == 0)
            forget(t, &t->addrs, a);
    }
    pthread_mutex_unlock(&t->lock);
}
