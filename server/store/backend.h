/*
 * server/store/backend.h - what a store backend is, inside the store only:
 * one struct of function pointers (the model is curl's struct Curl_ssl in
 * lib/vtls/vtls_int.h), one const instance per backend, filled at the end
 * of its file (sqlite.c, pg.c). store.c picks the instance from the
 * location and each jotd_store_ function calls through it, so that the
 * compiler checks that every backend has every operation with the
 * signature of store.h, and a reader follows a call from store.c to
 * `.op = ` in a backend.
 *
 * Also here, what the backends share beside it: a statement's parameters
 * (jotd_store_arg, ARGS) and what its outcome means (jotd_store_want), as
 * each backend's run-a-statement helper takes them; the array a listing is
 * read into (jotd_rows); and the readings of rows that both schemas spell
 * alike. The functions among these are defined in store.c.
 */
#ifndef JOTD_STORE_BACKEND_H
#define JOTD_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Each operation does what its jotd_store_ namesake in store.h says, on h,
 * the handle that open made (the backend's own struct, opaque to store.c). */
typedef struct jotd_store_backend {
    const char *name; /* "sqlite", "postgresql" */
    /* The newest schema version this build knows (schema.h, pg_schema.h). */
    int schema_latest;
    /* Whether location names a store of this backend. */
    int (*accepts)(const char *location);
    jotd_store_rc (*open)(const char *location, void **out, char *err, size_t errlen);
    void (*close)(void *h);
    /* NULL: the backend has no work of its own to move off the requests'
     * path (the PostgreSQL server checkpoints by itself). */
    void (*background)(void *h);
    int (*schema_version)(void *h);
    jotd_store_rc (*ping)(void *h);

    jotd_store_rc (*user_insert)(void *h, const jotd_user *u);
    jotd_store_rc (*user_find)(void *h, const char *username, jotd_user *out);
    jotd_store_rc (*user_get)(void *h, const char *id, jotd_user *out);
    jotd_store_rc (*user_set_hash)(void *h, const char *id, const char *password_hash);

    jotd_store_rc (*key_insert)(void *h, const jotd_key_row *k);
    jotd_store_rc (*key_list)(void *h, jotd_key_row **out, size_t *n);
    jotd_store_rc (*key_delete)(void *h, const char *kid);

    jotd_store_rc (*session_create)(void *h, const jotd_family *f, const jotd_refresh_new *t);
    jotd_store_rc (*refresh_get)(void *h, const char *family_id, const char *jti, jotd_refresh_info *out);
    jotd_store_rc (*refresh_exchange)(void *h, const char *family_id, const char *jti, int64_t now,
                                      jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated);
    jotd_store_rc (*refresh_grace)(void *h, const char *family_id, const char *jti, unsigned max);
    jotd_store_rc (*family_revoke)(void *h, const char *family_id, int64_t now, const char *reason, int64_t until);
    jotd_store_rc (*revocations)(void *h, int64_t *cursor, int64_t now, jotd_revocation_fn cb, void *ctx);
    /* NULL: only this process writes the store, so it knows every
     * revocation as it makes it; there is nothing to watch (SQLite). */
    void (*watch_revocations)(void *h, void (*fn)(void *ctx), void *ctx);
    jotd_store_rc (*purge)(void *h, int64_t grace_end, int64_t dead_before);

    jotd_store_rc (*api_token_insert)(void *h, const jotd_api_token *t);
    jotd_store_rc (*api_token_get)(void *h, const char *id, jotd_api_token *out);
    jotd_store_rc (*api_token_list)(void *h, const char *user_id, jotd_api_token **out, size_t *n);
    jotd_store_rc (*api_token_revoke)(void *h, const char *user_id, const char *id, int64_t now);
    jotd_store_rc (*api_token_touch)(void *h, const char *id, int64_t when);
    jotd_store_rc (*api_token_purge)(void *h, int64_t dead_before);
    jotd_store_rc (*session_list)(void *h, const char *user_id, int64_t now, jotd_session **out, size_t *n);
    jotd_store_rc (*session_get)(void *h, const char *id, jotd_session *out);
} jotd_store_backend;

extern const jotd_store_backend jotd_store_sqlite; /* sqlite.c */
extern const jotd_store_backend jotd_store_pg;     /* pg.c */

/* ---- What the backends' statement helpers share ------------------------ */

/* One parameter of a statement, bound in the order given ($1/?1 first).
 * Each backend binds these its own way: SQLite as its types, PostgreSQL
 * integers as decimal text and bytes in binary. */
typedef struct jotd_store_arg {
    enum { JOTD_ARG_TEXT, JOTD_ARG_INT, JOTD_ARG_BYTES } type;
    const void *p; /* text (NUL-terminated) or bytes; NULL binds SQL NULL */
    size_t len;    /* of the bytes */
    int64_t i;
} jotd_store_arg;

static inline jotd_store_arg arg_text(const char *s)
{
    return (jotd_store_arg){.type = JOTD_ARG_TEXT, .p = s};
}

static inline jotd_store_arg arg_int(int64_t i)
{
    return (jotd_store_arg){.type = JOTD_ARG_INT, .i = i};
}

static inline jotd_store_arg arg_bytes(const void *p, size_t len)
{
    return (jotd_store_arg){.type = JOTD_ARG_BYTES, .p = p, .len = len};
}

/* The parameters of a statement as a helper takes them, an array and its
 * length: ARGS(arg_text(id), arg_int(now)). NO_ARGS for none. */
#define ARGS(...)                                                                                                \
    (const jotd_store_arg[]){__VA_ARGS__}, sizeof((const jotd_store_arg[]){__VA_ARGS__}) / sizeof(jotd_store_arg)
#define NO_ARGS NULL, 0

/* What a statement's outcome means, as a helper turns it into a
 * jotd_store_rc (ERROR, whatever is asked, when the statement failed). */
typedef enum jotd_store_want {
    W_DONE,   /* it ran: OK */
    W_ROWS,   /* each row it returns is read: OK (none included) */
    W_ONE,    /* its first row is read: OK, or NOT_FOUND when it has none */
    W_CHANGE, /* OK when it changed (or inserted) a row, NOT_FOUND when none */
    W_INSERT, /* OK, or EXISTS when a unique key is taken (not logged) */
} jotd_store_want;

/* The rows of a listing (jotd_store_*_list), read one at a time into an
 * array that grows. Set size (of one element) and, when an element owns
 * memory, drop (frees the array and what its n elements own); the rest
 * starts zero. */
typedef struct jotd_rows {
    size_t size;
    void (*drop)(void *rows, size_t n);
    char *v;
    size_t n;
    size_t cap;
} jotd_rows;

/* A new element at the end, zeroed. */
void *jotd_rows_add(jotd_rows *r);
/* The array when rc is OK (NULL when empty), with its length in *n; when
 * rc is not, the rows are dropped, and NULL with *n = 0. */
void *jotd_rows_take(jotd_rows *r, jotd_store_rc rc, size_t *n);

/* A drop for jotd_rows of jotd_key_row: the sealed keys read before a
 * failure are wiped. */
void jotd_key_rows_drop(void *rows, size_t n);

/* A refresh token's state as both schemas spell it ('active', 'spent',
 * 'revoked'); NULL or anything else reads as revoked, the safe side. */
jotd_refresh_state jotd_refresh_state_parse(const char *text);

/* Hands the rows of the revocation log, as a backend reads them, to the
 * caller of jotd_store_revocations: cb with the kind as the enum says it,
 * unless kind or id is NULL; seen becomes seq either way, so that the
 * cursor moves past every row read. */
typedef struct jotd_revocation_reader {
    jotd_revocation_fn cb;
    void *ctx;
    int64_t seen;
} jotd_revocation_reader;

void jotd_revocation_read(jotd_revocation_reader *rd, int64_t seq, const char *kind, const char *id,
                          int64_t revoked_at, int64_t until);

#endif
