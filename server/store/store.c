/*
 * server/store/store.c - the store interface of store.h: each call goes to
 * the backend the location names (backend.h: pg.c for a postgresql:// or
 * postgres:// URI, sqlite.c for a file path), and the parts common to every
 * backend (freeing the rows they hand out, and what backend.h says the
 * backends share).
 */
#include "store.h"

#include "backend.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jotd_store {
    const jotd_store_backend *be;
    void *h; /* the backend's own handle */
};

/* The first that accepts a location serves it: SQLite, which takes any
 * file path, comes last. */
static const jotd_store_backend *const backends[] = {&jotd_store_pg, &jotd_store_sqlite};

jotd_store_rc jotd_store_open(const char *location, jotd_store **out, char *err, size_t errlen)
{
    *out = NULL;
    const jotd_store_backend *be = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0] && !be; i++)
        if (backends[i]->accepts(location))
            be = backends[i];
    if (!be) {
        snprintf(err, errlen, "no store backend takes this location");
        return JOTD_STORE_ERROR;
    }
    void *h;
    jotd_store_rc rc = be->open(location, &h, err, errlen);
    if (rc != JOTD_STORE_OK)
        return rc;
    jotd_store *s = jotd_xcalloc(1, sizeof *s);
    s->be = be;
    s->h = h;
    *out = s;
    return JOTD_STORE_OK;
}

void jotd_store_close(jotd_store *s)
{
    if (!s)
        return;
    s->be->close(s->h);
    free(s);
}

void jotd_store_background(jotd_store *s)
{
    if (s->be->background)
        s->be->background(s->h);
}

int jotd_store_schema_version(jotd_store *s)
{
    return s->be->schema_version(s->h);
}

int jotd_store_schema_latest(jotd_store *s)
{
    return s->be->schema_latest;
}

jotd_store_rc jotd_store_ping(jotd_store *s)
{
    return s->be->ping(s->h);
}

jotd_store_rc jotd_store_user_insert(jotd_store *s, const jotd_user *u)
{
    return s->be->user_insert(s->h, u);
}

jotd_store_rc jotd_store_user_find(jotd_store *s, const char *username, jotd_user *out)
{
    return s->be->user_find(s->h, username, out);
}

jotd_store_rc jotd_store_user_get(jotd_store *s, const char *id, jotd_user *out)
{
    return s->be->user_get(s->h, id, out);
}

jotd_store_rc jotd_store_user_set_hash(jotd_store *s, const char *id, const char *password_hash)
{
    return s->be->user_set_hash(s->h, id, password_hash);
}

void jotd_user_release(jotd_user *u)
{
    jotd_free_secret(u->password_hash);
    u->password_hash = NULL;
}

jotd_store_rc jotd_store_key_insert(jotd_store *s, const jotd_key_row *k)
{
    return s->be->key_insert(s->h, k);
}

jotd_store_rc jotd_store_key_list(jotd_store *s, jotd_key_row **out, size_t *n)
{
    return s->be->key_list(s->h, out, n);
}

jotd_store_rc jotd_store_key_delete(jotd_store *s, const char *kid)
{
    return s->be->key_delete(s->h, kid);
}

void jotd_key_rows_free(jotd_key_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jot_wipe(rows[i].sealed, rows[i].sealed_len);
        free(rows[i].sealed);
    }
    free(rows);
}

jotd_store_rc jotd_store_session_create(jotd_store *s, const jotd_family *f, const jotd_refresh_new *t)
{
    return s->be->session_create(s->h, f, t);
}

jotd_store_rc jotd_store_refresh_get(jotd_store *s, const char *family_id, const char *jti, jotd_refresh_info *out)
{
    return s->be->refresh_get(s->h, family_id, jti, out);
}

void jotd_refresh_info_release(jotd_refresh_info *i)
{
    if (i->successor_sealed) {
        jot_wipe(i->successor_sealed, i->successor_sealed_len);
        free(i->successor_sealed);
    }
    i->successor_sealed = NULL;
    i->successor_sealed_len = 0;
    jotd_user_release(&i->user);
}

jotd_store_rc jotd_store_refresh_exchange(jotd_store *s, const char *family_id, const char *jti, int64_t now,
                                          jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated)
{
    return s->be->refresh_exchange(s->h, family_id, jti, now, fn, ctx, info, rotated);
}

jotd_store_rc jotd_store_refresh_grace(jotd_store *s, const char *family_id, const char *jti, unsigned max)
{
    return s->be->refresh_grace(s->h, family_id, jti, max);
}

jotd_store_rc jotd_store_family_revoke(jotd_store *s, const char *family_id, int64_t now, const char *reason,
                                       int64_t until)
{
    return s->be->family_revoke(s->h, family_id, now, reason, until);
}

jotd_store_rc jotd_store_revocations(jotd_store *s, int64_t *cursor, int64_t now, jotd_revocation_fn cb,
                                     void *ctx)
{
    return s->be->revocations(s->h, cursor, now, cb, ctx);
}

void jotd_store_watch_revocations(jotd_store *s, void (*fn)(void *ctx), void *ctx)
{
    if (s->be->watch_revocations)
        s->be->watch_revocations(s->h, fn, ctx);
}

jotd_store_rc jotd_store_purge(jotd_store *s, int64_t grace_end, int64_t dead_before)
{
    return s->be->purge(s->h, grace_end, dead_before);
}

/* ---- API tokens and sessions ---- */

jotd_store_rc jotd_store_api_token_insert(jotd_store *s, const jotd_api_token *t)
{
    return s->be->api_token_insert(s->h, t);
}

jotd_store_rc jotd_store_api_token_get(jotd_store *s, const char *id, jotd_api_token *out)
{
    return s->be->api_token_get(s->h, id, out);
}

jotd_store_rc jotd_store_api_token_list(jotd_store *s, const char *user_id, jotd_api_token **out, size_t *n)
{
    return s->be->api_token_list(s->h, user_id, out, n);
}

jotd_store_rc jotd_store_api_token_revoke(jotd_store *s, const char *user_id, const char *id, int64_t now)
{
    return s->be->api_token_revoke(s->h, user_id, id, now);
}

jotd_store_rc jotd_store_api_token_touch(jotd_store *s, const char *id, int64_t when)
{
    return s->be->api_token_touch(s->h, id, when);
}

jotd_store_rc jotd_store_api_token_purge(jotd_store *s, int64_t dead_before)
{
    return s->be->api_token_purge(s->h, dead_before);
}

jotd_store_rc jotd_store_session_list(jotd_store *s, const char *user_id, int64_t now, jotd_session **out,
                                      size_t *n)
{
    return s->be->session_list(s->h, user_id, now, out, n);
}

jotd_store_rc jotd_store_session_get(jotd_store *s, const char *id, jotd_session *out)
{
    return s->be->session_get(s->h, id, out);
}

/* ---- What the backends share (backend.h) ---- */

void *jotd_rows_add(jotd_rows *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->v = jotd_xrealloc(r->v, r->cap * r->size);
    }
    void *e = r->v + r->n++ * r->size;
    memset(e, 0, r->size);
    return e;
}

void *jotd_rows_take(jotd_rows *r, jotd_store_rc rc, size_t *n)
{
    void *v = r->v;
    *n = r->n;
    if (rc != JOTD_STORE_OK) {
        if (r->drop)
            r->drop(v, r->n);
        else
            free(v);
        v = NULL;
        *n = 0;
    }
    r->v = NULL;
    r->n = r->cap = 0;
    return v;
}

void jotd_key_rows_drop(void *rows, size_t n)
{
    jotd_key_rows_free(rows, n);
}

jotd_refresh_state jotd_refresh_state_parse(const char *text)
{
    if (text && strcmp(text, "active") == 0)
        return JOTD_REFRESH_ACTIVE;
    if (text && strcmp(text, "spent") == 0)
        return JOTD_REFRESH_SPENT;
    return JOTD_REFRESH_REVOKED;
}

void jotd_revocation_read(jotd_revocation_reader *rd, int64_t seq, const char *kind, const char *id,
                          int64_t revoked_at, int64_t until)
{
    rd->seen = seq;
    if (kind && id)
        rd->cb(strcmp(kind, "api") == 0 ? JOTD_REVOKED_API : JOTD_REVOKED_FAMILY, id, revoked_at, until, rd->ctx);
}
