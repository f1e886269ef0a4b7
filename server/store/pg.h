/*
 * server/store/pg.h - the PostgreSQL backend of the store (pg.c), for a
 * location postgresql://... or postgres://... (a libpq connection URI).
 * Each function does what its jotd_store_ namesake in store.h says;
 * store.c picks the backend from the store's location and calls these.
 *
 * Several jotd processes may share one database: nothing a request needs
 * is kept only in one process's memory (the sealed grace-window successor
 * among them, which the SQLite backend keeps in memory).
 */
#ifndef JOTD_PG_H
#define JOTD_PG_H

#include "store.h"

typedef struct jotd_pg jotd_pg;

/* Is location a PostgreSQL connection URI? */
int jotd_pg_is_location(const char *location);

jotd_store_rc jotd_pg_open(const char *location, jotd_pg **out, char *err, size_t errlen);
void jotd_pg_background(jotd_pg *s);
void jotd_pg_close(jotd_pg *s);
int jotd_pg_schema_version(jotd_pg *s);
int jotd_pg_schema_latest(void);
jotd_store_rc jotd_pg_ping(jotd_pg *s);
jotd_store_rc jotd_pg_user_insert(jotd_pg *s, const jotd_user *u);
jotd_store_rc jotd_pg_user_find(jotd_pg *s, const char *username, jotd_user *out);
jotd_store_rc jotd_pg_user_get(jotd_pg *s, const char *id, jotd_user *out);
jotd_store_rc jotd_pg_user_set_hash(jotd_pg *s, const char *id, const char *password_hash);
jotd_store_rc jotd_pg_key_insert(jotd_pg *s, const jotd_key_row *k);
jotd_store_rc jotd_pg_key_list(jotd_pg *s, jotd_key_row **out, size_t *n);
jotd_store_rc jotd_pg_key_delete(jotd_pg *s, const char *kid);
jotd_store_rc jotd_pg_session_create(jotd_pg *s, const jotd_family *f, const jotd_refresh_new *t);
jotd_store_rc jotd_pg_refresh_get(jotd_pg *s, const char *family_id, const char *jti, jotd_refresh_info *out);
jotd_store_rc jotd_pg_refresh_exchange(jotd_pg *s, const char *family_id, const char *jti, int64_t now,
                                      jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated);
jotd_store_rc jotd_pg_refresh_grace(jotd_pg *s, const char *family_id, const char *jti, unsigned max);
jotd_store_rc jotd_pg_family_revoke(jotd_pg *s, const char *family_id, int64_t now, const char *reason,
                                   int64_t until);
jotd_store_rc jotd_pg_revocations(jotd_pg *s, int64_t *cursor, int64_t now, jotd_revocation_fn cb, void *ctx);
void jotd_pg_watch_revocations(jotd_pg *s, void (*fn)(void *ctx), void *ctx);
jotd_store_rc jotd_pg_purge(jotd_pg *s, int64_t grace_end, int64_t dead_before);

jotd_store_rc jotd_pg_api_token_insert(jotd_pg *s, const jotd_api_token *t);
jotd_store_rc jotd_pg_api_token_get(jotd_pg *s, const char *id, jotd_api_token *out);
jotd_store_rc jotd_pg_api_token_list(jotd_pg *s, const char *user_id, jotd_api_token **out, size_t *n);
jotd_store_rc jotd_pg_api_token_revoke(jotd_pg *s, const char *user_id, const char *id, int64_t now);
jotd_store_rc jotd_pg_api_token_touch(jotd_pg *s, const char *id, int64_t when);
jotd_store_rc jotd_pg_api_token_purge(jotd_pg *s, int64_t dead_before);
jotd_store_rc jotd_pg_session_list(jotd_pg *s, const char *user_id, int64_t now, jotd_session **out, size_t *n);
jotd_store_rc jotd_pg_session_get(jotd_pg *s, const char *id, jotd_session *out);

#endif
