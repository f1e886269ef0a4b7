/*
 * server/store/sqlite.h - the SQLite backend of the store (sqlite.c). Each
 * function does what its jotd_store_ namesake in store.h says; store.c
 * picks the backend from the store's location and calls these.
 */
#ifndef JOTD_SQLITE_H
#define JOTD_SQLITE_H

#include "store.h"

typedef struct jotd_sqlite jotd_sqlite;

jotd_store_rc jotd_sqlite_open(const char *location, jotd_sqlite **out, char *err, size_t errlen);
void jotd_sqlite_background(jotd_sqlite *s);
void jotd_sqlite_close(jotd_sqlite *s);
int jotd_sqlite_schema_version(jotd_sqlite *s);
int jotd_sqlite_schema_latest(void);
jotd_store_rc jotd_sqlite_ping(jotd_sqlite *s);
jotd_store_rc jotd_sqlite_user_insert(jotd_sqlite *s, const jotd_user *u);
jotd_store_rc jotd_sqlite_user_find(jotd_sqlite *s, const char *username, jotd_user *out);
jotd_store_rc jotd_sqlite_user_get(jotd_sqlite *s, const char *id, jotd_user *out);
jotd_store_rc jotd_sqlite_user_set_hash(jotd_sqlite *s, const char *id, const char *password_hash);
jotd_store_rc jotd_sqlite_key_insert(jotd_sqlite *s, const jotd_key_row *k);
jotd_store_rc jotd_sqlite_key_list(jotd_sqlite *s, jotd_key_row **out, size_t *n);
jotd_store_rc jotd_sqlite_key_delete(jotd_sqlite *s, const char *kid);
jotd_store_rc jotd_sqlite_session_create(jotd_sqlite *s, const jotd_family *f, const jotd_refresh_new *t);
jotd_store_rc jotd_sqlite_refresh_get(jotd_sqlite *s, const char *family_id, const char *jti, jotd_refresh_info *out);
jotd_store_rc jotd_sqlite_refresh_exchange(jotd_sqlite *s, const char *family_id, const char *jti, int64_t now,
                                          jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated);
jotd_store_rc jotd_sqlite_refresh_grace(jotd_sqlite *s, const char *family_id, const char *jti, unsigned max);
jotd_store_rc jotd_sqlite_family_revoke(jotd_sqlite *s, const char *family_id, int64_t now, const char *reason,
                                   int64_t until);
jotd_store_rc jotd_sqlite_revocations(jotd_sqlite *s, int64_t *cursor, int64_t now, jotd_revocation_fn cb, void *ctx);
jotd_store_rc jotd_sqlite_purge(jotd_sqlite *s, int64_t grace_end, int64_t dead_before);

jotd_store_rc jotd_sqlite_api_token_insert(jotd_sqlite *s, const jotd_api_token *t);
jotd_store_rc jotd_sqlite_api_token_get(jotd_sqlite *s, const char *id, jotd_api_token *out);
jotd_store_rc jotd_sqlite_api_token_list(jotd_sqlite *s, const char *user_id, jotd_api_token **out, size_t *n);
jotd_store_rc jotd_sqlite_api_token_revoke(jotd_sqlite *s, const char *user_id, const char *id, int64_t now);
jotd_store_rc jotd_sqlite_api_token_touch(jotd_sqlite *s, const char *id, int64_t when);
jotd_store_rc jotd_sqlite_api_token_purge(jotd_sqlite *s, int64_t dead_before);
jotd_store_rc jotd_sqlite_session_list(jotd_sqlite *s, const char *user_id, int64_t now, jotd_session **out,
                                      size_t *n);
jotd_store_rc jotd_sqlite_session_get(jotd_sqlite *s, const char *id, jotd_session *out);

#endif
