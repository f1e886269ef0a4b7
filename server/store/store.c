/*
 * server/store/store.c - the store interface of store.h, dispatched to the
 * backend the location names (pg.c for a postgresql:// or postgres:// URI,
 * sqlite.c for a file path), and the parts common to every backend.
 */
#include "store.h"

#include "pg.h"
#include "sqlite.h"
#include "base/mem.h"

#include <stdlib.h>

/* Exactly one of the two is set. */
struct jotd_store {
    jotd_sqlite *sqlite;
    jotd_pg *pg;
};

/* Call backend function fn: jotd_pg_fn or jotd_sqlite_fn, with the
 * backend's handle first. Every jotd_sqlite_ function has its jotd_pg_
 * twin with the same parameters. */
#define CALL0(s, fn) ((s)->pg ? jotd_pg_##fn((s)->pg) : jotd_sqlite_##fn((s)->sqlite))
#define CALL(s, fn, ...) ((s)->pg ? jotd_pg_##fn((s)->pg, __VA_ARGS__) : jotd_sqlite_##fn((s)->sqlite, __VA_ARGS__))

jotd_store_rc jotd_store_open(const char *location, jotd_store **out, char *err, size_t errlen)
{
    *out = NULL;
    jotd_store *s = jotd_xcalloc(1, sizeof *s);
    jotd_store_rc rc = jotd_pg_is_location(location) ? jotd_pg_open(location, &s->pg, err, errlen)
                                                     : jotd_sqlite_open(location, &s->sqlite, err, errlen);
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
    return s->pg ? jotd_pg_schema_latest() : jotd_sqlite_schema_latest();
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

jotd_store_rc jotd_store_refresh_grace(jotd_store *s, const char *family_id, const char *jti, unsigned max)
{
    return CALL(s, refresh_grace, family_id, jti, max);
}

jotd_store_rc jotd_store_family_revoke(jotd_store *s, const char *family_id, int64_t now, const char *reason,
                                       int64_t until)
{
    return CALL(s, family_revoke, family_id, now, reason, until);
}

jotd_store_rc jotd_store_revocations(jotd_store *s, int64_t *cursor, int64_t now, jotd_revocation_fn cb,
                                     void *ctx)
{
    return CALL(s, revocations, cursor, now, cb, ctx);
}

void jotd_store_watch_revocations(jotd_store *s, void (*fn)(void *ctx), void *ctx)
{
    /* One process writes an SQLite store: it knows its revocations. */
    if (s->pg)
        jotd_pg_watch_revocations(s->pg, fn, ctx);
}

jotd_store_rc jotd_store_purge(jotd_store *s, int64_t grace_end, int64_t dead_before)
{
    return CALL(s, purge, grace_end, dead_before);
}

/* ---- API tokens and sessions ---- */

jotd_store_rc jotd_store_api_token_insert(jotd_store *s, const jotd_api_token *t)
{
    return CALL(s, api_token_insert, t);
}

jotd_store_rc jotd_store_api_token_get(jotd_store *s, const char *id, jotd_api_token *out)
{
    return CALL(s, api_token_get, id, out);
}

jotd_store_rc jotd_store_api_token_list(jotd_store *s, const char *user_id, jotd_api_token **out, size_t *n)
{
    return CALL(s, api_token_list, user_id, out, n);
}

jotd_store_rc jotd_store_api_token_revoke(jotd_store *s, const char *user_id, const char *id, int64_t now)
{
    return CALL(s, api_token_revoke, user_id, id, now);
}

jotd_store_rc jotd_store_api_token_touch(jotd_store *s, const char *id, int64_t when)
{
    return CALL(s, api_token_touch, id, when);
}

jotd_store_rc jotd_store_api_token_purge(jotd_store *s, int64_t dead_before)
{
    return CALL(s, api_token_purge, dead_before);
}

jotd_store_rc jotd_store_session_list(jotd_store *s, const char *user_id, int64_t now, jotd_session **out,
                                      size_t *n)
{
    return CALL(s, session_list, user_id, now, out, n);
}

jotd_store_rc jotd_store_session_get(jotd_store *s, const char *id, jotd_session *out)
{
    return CALL(s, session_get, id, out);
}
