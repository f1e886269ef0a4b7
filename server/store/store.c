/*
 * server/store/store.c - the store interface of store.h, dispatched to the
 * backend the location names, and the parts common to every backend.
 */
#include "store/store.h"

#include "store/sqlite.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jotd_store {
    jotd_sqlite *sqlite;
};

#define CALL0(s, fn) jotd_sqlite_##fn((s)->sqlite)
#define CALL(s, fn, ...) jotd_sqlite_##fn((s)->sqlite, __VA_ARGS__)

jotd_store_rc jotd_store_open(const char *location, jotd_store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0) {
        snprintf(err, errlen, "the PostgreSQL store is not implemented yet; give an SQLite file path");
        return JOTD_STORE_ERROR;
    }
    jotd_store *s = jotd_xcalloc(1, sizeof *s);
    jotd_store_rc rc = jotd_sqlite_open(location, &s->sqlite, err, errlen);
    if (rc != JOTD_STORE_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return JOTD_STORE_OK;
}

void jotd_store_close(jotd_store *s)
{
    if (!s)
        return;
    CALL0(s, close);
    free(s);
}

void jotd_store_background(jotd_store *s)
{
    CALL0(s, background);
}

int jotd_store_schema_version(jotd_store *s)
{
    return CALL0(s, schema_version);
}

int jotd_store_schema_latest(jotd_store *s)
{
    (void)s;
    return jotd_sqlite_schema_latest();
}

jotd_store_rc jotd_store_ping(jotd_store *s)
{
    return CALL0(s, ping);
}

jotd_store_rc jotd_store_user_insert(jotd_store *s, const jotd_user *u)
{
    return CALL(s, user_insert, u);
}

jotd_store_rc jotd_store_user_find(jotd_store *s, const char *username, jotd_user *out)
{
    return CALL(s, user_find, username, out);
}

jotd_store_rc jotd_store_user_get(jotd_store *s, const char *id, jotd_user *out)
{
    return CALL(s, user_get, id, out);
}

jotd_store_rc jotd_store_user_set_hash(jotd_store *s, const char *id, const char *password_hash)
{
    return CALL(s, user_set_hash, id, password_hash);
}

void jotd_user_release(jotd_user *u)
{
    jotd_free_secret(u->password_hash);
    u->password_hash = NULL;
}

jotd_store_rc jotd_store_key_insert(jotd_store *s, const jotd_key_row *k)
{
    return CALL(s, key_insert, k);
}

jotd_store_rc jotd_store_key_list(jotd_store *s, jotd_key_row **out, size_t *n)
{
    return CALL(s, key_list, out, n);
}

jotd_store_rc jotd_store_key_delete(jotd_store *s, const char *kid)
{
    return CALL(s, key_delete, kid);
}

void jotd_key_rows_free(jotd_key_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jotd_wipe(rows[i].sealed, rows[i].sealed_len);
        free(rows[i].sealed);
    }
    free(rows);
}

jotd_store_rc jotd_store_session_create(jotd_store *s, const jotd_family *f, const jotd_refresh_new *t)
{
    return CALL(s, session_create, f, t);
}

jotd_store_rc jotd_store_refresh_get(jotd_store *s, const char *family_id, const char *jti, jotd_refresh_info *out)
{
    return CALL(s, refresh_get, family_id, jti, out);
}

void jotd_refresh_info_release(jotd_refresh_info *i)
{
    if (i->successor_sealed) {
        jotd_wipe(i->successor_sealed, i->successor_sealed_len);
        free(i->successor_sealed);
    }
    i->successor_sealed = NULL;
    i->successor_sealed_len = 0;
    jotd_user_release(&i->user);
}

jotd_store_rc jotd_store_refresh_exchange(jotd_store *s, const char *family_id, const char *jti, int64_t now,
                                          jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated)
{
    return CALL(s, refresh_exchange, family_id, jti, now, fn, ctx, info, rotated);
}

jotd_store_rc jotd_store_family_revoke(jotd_store *s, const char *family_id, int64_t now, const char *reason)
{
    return CALL(s, family_revoke, family_id, now, reason);
}

jotd_store_rc jotd_store_revoked_since(jotd_store *s, int64_t since,
                                       void (*cb)(const char *family_id, int64_t revoked_at, void *ctx),
                                       void *ctx)
{
    return CALL(s, revoked_since, since, cb, ctx);
}

jotd_store_rc jotd_store_purge(jotd_store *s, int64_t grace_end, int64_t dead_before)
{
    return CALL(s, purge, grace_end, dead_before);
}
