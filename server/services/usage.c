/* server/services/usage.c - see usage.h */
#include "services/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* How often the noted last uses reach the store (seconds). */
#define FLUSH_INTERVAL 10

void jotd_usage_init(jotd_usage *u, jotd_store *store, int64_t now)
{
    u->store = store;
    u->used = jotd_revoked_new();
    u->last_flush = now;
}

void jotd_usage_release(jotd_usage *u)
{
    jotd_revoked_free(u->used);
    u->used = NULL;
}

typedef struct use_list {
    char (*ids)[48];
    int64_t *when;
    size_t n;
} use_list;
void jotd_usage_note(jotd_usage *u, const char *jti, size_t len, int64_t now)
{
    /* The first use within a flush interval is enough: last_used_at is
     * precise to that interval. A read lock answers the common case. */
    if (jotd_revoked_has(u->used, jti, len))
        return;
    char id[64];
    if (len >= sizeof id)
        return;
    memcpy(id, jti, len);
    id[len] = '\0';
    jotd_revoked_add(u->used, id, now);
}

static void collect_use(const char *key, int64_t t, void *ctx)
{
    use_list *l = ctx;
    if (strlen(key) >= sizeof l->ids[0])
        return;
    l->ids = jotd_xrealloc(l->ids, (l->n + 1) * sizeof *l->ids);
    l->when = jotd_xrealloc(l->when, (l->n + 1) * sizeof *l->when);
    snprintf(l->ids[l->n], sizeof l->ids[0], "%s", key);
    l->when[l->n++] = t;
}

void jotd_usage_flush(jotd_usage *u, int64_t now)
{
    if (now - u->last_flush < FLUSH_INTERVAL)
        return;
    u->last_flush = now;
    /* Drain under the set's lock, write without it. */
    use_list l = {NULL, NULL, 0};
    jotd_revoked_drain(u->used, collect_use, &l);
    for (size_t i = 0; i < l.n; i++)
        jotd_store_api_token_touch(u->store, l.ids[i], l.when[i]);
    free(l.ids);
    free(l.when);
    /* Rows of expired tokens go (a revoked one's row was kept until then
     * so that every instance could read its revocation). */
    jotd_store_api_token_purge(u->store, now - JOTD_STORE_API_SLACK);
}
