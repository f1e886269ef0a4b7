/* server/cmd/migrate.c - jotd migrate (see cmd.h). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/store.h"

/* The store's location as a message may show it: the password of a
 * postgresql://user:password@host/... URI replaced by ***, a query that
 * names a password as a whole. */
static void store_shown(const char *loc, char *out, size_t n)
{
    const char *p = strstr(loc, "://");
    if (p) {
        p += 3;
        size_t auth = strcspn(p, "/?#");
        const char *at = memchr(p, '@', auth);
        const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
        if (colon) {
            snprintf(out, n, "%.*s:***%s", (int)(colon - loc), loc, at);
            return;
        }
        /* ...?password=secret&... */
        const char *q = strchr(p, '?');
        if (q && strstr(q, "password=")) {
            snprintf(out, n, "%.*s?***", (int)(q - loc), loc);
            return;
        }
    }
    snprintf(out, n, "%s", loc);
}

int jotd_cmd_migrate(const jotd_config *cfg)
{
    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    int v = jotd_store_schema_version(store);
    int latest = jotd_store_schema_latest(store);
    jotd_store_close(store);
    char shown[512];
    store_shown(cfg->store, shown, sizeof shown);
    printf("store %s: schema version %d (latest %d)\n", shown, v, latest);
    return v == latest ? 0 : 1;
}
