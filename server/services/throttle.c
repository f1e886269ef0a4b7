/* server/services/throttle.c - see throttle.h */
#include "services/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/text.h"

/* The tables are bounded (max_entries keys each): beyond it new keys are
 * refused (fail closed) until the sweep frees room. Only keys with failures
 * (or attempts in flight) are kept, so that filling a table costs an
 * attacker one argon2id verification per key, not one cheap request. */
#define NBUCKETS 4096
#define MAX_DELAY_MS 8000u
/* The slow-down every attempt for a username gets while others' failures
 * for it are at the pair limit. */
#define USER_DELAY_MS 1000u

typedef struct entry {
    struct entry *next;
    int64_t window_start;
    unsigned failures; /* signups: attempts */
    unsigned inflight;
    char key[];
} entry;

typedef struct table {
    entry *b[NBUCKETS];
    size_t count;
    int64_t window;
} table;

struct jotd_throttle {
    pthread_mutex_t lock;
    table users; /* by username: failures from anywhere */
    table addrs; /* by address */
    table pairs; /* by "username\naddress" */
    table signups;
    jotd_throttle_params p;
};

static size_t bucket(const jotd_throttle *t, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ t->p.seed;
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
            if (now - e->window_start >= tb->window) {
                e->window_start = now;
                e->failures = 0;
            }
            return e;
        }
    }
    if (!create || tb->count >= t->p.max_entries)
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
    if (e->failures || e->inflight)
        return;
    for (entry **pp = &tb->b[bucket(t, e->key)]; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            free(e);
            tb->count--;
            return;
        }
    }
}

jotd_throttle *jotd_throttle_new(const jotd_throttle_params *p)
{
    jotd_throttle *t = jotd_xcalloc(1, sizeof *t);
    t->p = *p;
    t->users.window = t->addrs.window = t->pairs.window = p->window;
    t->signups.window = p->signup_window;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

static void table_clear(table *tb, int64_t now, int all)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        entry **pp = &tb->b[i];
        while (*pp) {
            entry *e = *pp;
            if (all || (e->inflight == 0 && now - e->window_start >= tb->window)) {
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
    table_clear(&t->users, 0, 1);
    table_clear(&t->addrs, 0, 1);
    table_clear(&t->pairs, 0, 1);
    table_clear(&t->signups, 0, 1);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

void jotd_throttle_sweep(jotd_throttle *t, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    table_clear(&t->users, now, 0);
    table_clear(&t->addrs, now, 0);
    table_clear(&t->pairs, now, 0);
    table_clear(&t->signups, now, 0);
    pthread_mutex_unlock(&t->lock);
}

/* Clients are counted by network (base/text.h: an IPv6 /64), so that one
 * subscriber's many addresses share one count. */
static void pair_key(const char *user, const char *net, char *out, size_t n)
{
    snprintf(out, n, "%s\n%s", user, net);
}

/* Seconds until e's window ends (at least 1). */
static unsigned left(const table *tb, const entry *e, int64_t now)
{
    int64_t l = e->window_start + tb->window - now;
    return (unsigned)(l > 0 ? l : 1);
}

int jotd_throttle_begin(jotd_throttle *t, const char *user, const char *addr, int64_t now, unsigned *delay_ms,
                        unsigned *retry_after)
{
    *delay_ms = 0;
    *retry_after = 0;
    char net[80], pk[160];
    jotd_ip_network(addr, net, sizeof net);
    pair_key(user, net, pk, sizeof pk);
    pthread_mutex_lock(&t->lock);
    entry *p = lookup(t, &t->pairs, pk, now, 1);
    entry *a = lookup(t, &t->addrs, net, now, 1);
    /* The users table only slows a name down: when it is full, the
     * attempt goes on without (refusing would let anyone who fills it lock
     * out every name not yet in it). */
    entry *u = lookup(t, &t->users, user, now, 1);
    if (!p || !a) {
        /* The refusing tables are full: refuse rather than forget what
         * they count (filling them costs an argon2id verification each). */
        if (p)
            forget(t, &t->pairs, p);
        if (a)
            forget(t, &t->addrs, a);
        if (u)
            forget(t, &t->users, u);
        pthread_mutex_unlock(&t->lock);
        *retry_after = 60;
        return -1;
    }
    unsigned np = p->failures + p->inflight;
    unsigned na = a->failures + a->inflight;
    if (np >= t->p.pair_limit || na >= t->p.addr_limit) {
        unsigned lp = np >= t->p.pair_limit ? left(&t->pairs, p, now) : 0;
        unsigned la = na >= t->p.addr_limit ? left(&t->addrs, a, now) : 0;
        *retry_after = lp > la ? lp : la;
        forget(t, &t->pairs, p);
        forget(t, &t->addrs, a);
        if (u)
            forget(t, &t->users, u);
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    p->inflight++;
    a->inflight++;
    if (u)
        u->inflight++;
    /* The limits count attempts in flight as failures (so that parallel
     * guesses cannot slip past them), but the slow-down counts failures
     * only: a user logging in from several tabs at once has failed
     * nothing and waits for nothing. */
    if (p->failures >= t->p.slow_after) {
        unsigned shift = p->failures - t->p.slow_after;
        *delay_ms = shift >= 4 ? MAX_DELAY_MS : 1000u << shift;
    }
    if (u && u->failures >= t->p.pair_limit && *delay_ms < USER_DELAY_MS)
        *delay_ms = USER_DELAY_MS;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

/* End one attempt on entry e (NULL: gone) of table tb. */
static void end_one(jotd_throttle *t, table *tb, entry *e, int failed, int reset)
{
    if (!e)
        return;
    if (e->inflight)
        e->inflight--;
    if (reset)
        e->failures = 0;
    else if (failed)
        e->failures++;
    forget(t, tb, e);
}

void jotd_throttle_end(jotd_throttle *t, const char *user, const char *addr, int outcome, int64_t now)
{
    int success = outcome == JOTD_ATTEMPT_SUCCEEDED;
    int failed = outcome == JOTD_ATTEMPT_FAILED;
    char net[80], pk[160];
    jotd_ip_network(addr, net, sizeof net);
    pair_key(user, net, pk, sizeof pk);
    pthread_mutex_lock(&t->lock);
    end_one(t, &t->pairs, lookup(t, &t->pairs, pk, now, 0), failed, success);
    end_one(t, &t->users, lookup(t, &t->users, user, now, 0), failed, success);
    /* A success does not clear the address: one valid account must not
     * let an address reset its count of failures against others. */
    end_one(t, &t->addrs, lookup(t, &t->addrs, net, now, 0), failed, 0);
    pthread_mutex_unlock(&t->lock);
}

int jotd_throttle_signup(jotd_throttle *t, const char *addr, int64_t now, unsigned *retry_after)
{
    *retry_after = 0;
    char net[80];
    jotd_ip_network(addr, net, sizeof net);
    pthread_mutex_lock(&t->lock);
    entry *e = lookup(t, &t->signups, net, now, 1);
    int rc = 0;
    /* A full table (an entry costs a client one cheap request) admits:
     * refusing would close signup to everyone until the window ends. */
    if (e && e->failures >= t->p.signup_limit) {
        *retry_after = left(&t->signups, e, now);
        rc = -1;
    } else if (e) {
        e->failures++;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}
