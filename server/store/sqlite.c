/*
 * server/store/sqlite.c - the store on SQLite: WAL, one connection per
 * thread at a time (a small pool), a busy timeout, each state change one
 * transaction. See store.h.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/schema.h"
#include "util.h"

enum stmt_id {
    S_PING,
    S_USER_INSERT,
    S_USER_FIND,
    S_USER_GET,
    S_USER_SET_HASH,
    S_KEY_INSERT,
    S_KEY_LIST,
    S_KEY_DELETE,
    S_FAMILY_INSERT,
    S_TOKEN_INSERT,
    S_REFRESH_GET,
    S_SPEND,
    S_FAMILY_TOUCH,
    S_FAMILY_REVOKE,
    S_TOKENS_REVOKE,
    S_REVOKED_SINCE,
    S_PURGE_SEALED,
    S_PURGE_FAMILIES,
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_PING] = "SELECT 1",
    [S_USER_INSERT] = "INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_USER_FIND] = "SELECT id, username, role, password_hash, created_at FROM users WHERE username = ?1",
    [S_USER_GET] = "SELECT id, username, role, password_hash, created_at FROM users WHERE id = ?1",
    [S_USER_SET_HASH] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
    [S_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, sealed, created_at, activate_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_KEY_LIST] = "SELECT kid, alg, sealed, created_at, activate_at FROM signing_keys "
                   "ORDER BY activate_at, created_at, kid",
    [S_KEY_DELETE] = "DELETE FROM signing_keys WHERE kid = ?1",
    [S_FAMILY_INSERT] = "INSERT INTO families (id, user_id, created_at, expires_at, refresh_expires_at, "
                        "last_used_at, client_addr, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?3, ?6, ?7)",
    [S_TOKEN_INSERT] = "INSERT INTO refresh_tokens (jti, family_id, token_hash, state, issued_at, expires_at) "
                       "VALUES (?1, ?2, ?3, 'active', ?4, ?5)",
    [S_REFRESH_GET] =
        "SELECT t.jti, t.family_id, t.token_hash, t.state, t.issued_at, t.expires_at, t.spent_at, "
        "t.successor_jti, t.successor_sealed, f.created_at, f.expires_at, f.revoked_at, "
        "u.id, u.username, u.role, u.created_at, s.state "
        "FROM refresh_tokens t JOIN families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id "
        "LEFT JOIN refresh_tokens s ON s.jti = t.successor_jti WHERE t.jti = ?1",
    /* The compare-and-set: only an active token can be spent, once. */
    [S_SPEND] = "UPDATE refresh_tokens SET state = 'spent', spent_at = ?2, successor_jti = ?3, "
                "successor_sealed = ?4 WHERE jti = ?1 AND state = 'active'",
    [S_FAMILY_TOUCH] = "UPDATE families SET last_used_at = ?2, refresh_expires_at = ?3 "
                       "WHERE id = ?1 AND revoked_at IS NULL",
    [S_FAMILY_REVOKE] = "UPDATE families SET revoked_at = ?2, revoke_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL",
    [S_TOKENS_REVOKE] = "UPDATE refresh_tokens SET state = CASE state WHEN 'active' THEN 'revoked' ELSE state END, "
                        "successor_sealed = NULL WHERE family_id = ?1",
    [S_REVOKED_SINCE] = "SELECT id, revoked_at FROM families WHERE revoked_at >= ?1",
    [S_PURGE_SEALED] = "UPDATE refresh_tokens SET successor_sealed = NULL "
                       "WHERE successor_sealed IS NOT NULL AND spent_at < ?1",
    [S_PURGE_FAMILIES] = "DELETE FROM families WHERE expires_at < ?1 OR refresh_expires_at < ?1",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
};

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    struct conn *next;
} conn;

struct jotd_store {
    char *path;
    pthread_mutex_t lock;
    conn *free_list;
};

static void log_db(conn *c, const char *what)
{
    jotd_log("error", "store", "op", what, "detail", c ? sqlite3_errmsg(c->db) : "no connection", NULL);
}

static void conn_close(conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c);
}

static int exec_sql(conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        jotd_log("error", "store", "op", "exec", "detail", msg ? msg : sqlite3_errstr(rc), NULL);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static conn *conn_open(const char *path)
{
    conn *c = jotd_xcalloc(1, sizeof *c);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        jotd_log("error", "store", "op", "open", "detail", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), NULL);
        conn_close(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, 5000);
    sqlite3_extended_result_codes(c->db, 1);
    /* WAL lets readers run beside the one writer; synchronous=NORMAL is
     * durable across a crash of jotd (not of the machine) and is what WAL
     * recommends; secure_delete overwrites deleted rows (sealed successors)
     * in the file; foreign keys make deleting a family delete its tokens. */
    if (exec_sql(c, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                    "PRAGMA secure_delete = ON;") != 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

static conn *acquire(jotd_store *s)
{
    pthread_mutex_lock(&s->lock);
    conn *c = s->free_list;
    if (c)
        s->free_list = c->next;
    pthread_mutex_unlock(&s->lock);
    if (!c)
        c = conn_open(s->path);
    return c;
}

static void release(jotd_store *s, conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&s->lock);
    c->next = s->free_list;
    s->free_list = c;
    pthread_mutex_unlock(&s->lock);
}

static sqlite3_stmt *stmt(conn *c, enum stmt_id id)
{
    if (!c->st[id]) {
        if (sqlite3_prepare_v3(c->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL) != SQLITE_OK) {
            log_db(c, "prepare");
            return NULL;
        }
    }
    return c->st[id];
}

static void done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

/* Run a statement that returns no rows; returns the sqlite3_step code. */
static int run(conn *c, enum stmt_id id)
{
    sqlite3_stmt *st = stmt(c, id);
    if (!st)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    done(st);
    return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, n, "%s", t ? (const char *)t : "");
}

static int64_t col_int(sqlite3_stmt *st, int i)
{
    return (int64_t)sqlite3_column_int64(st, i);
}

/* ---- Opening and migrating -------------------------------------------- */

static int user_version(conn *c)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(conn *c, char *err, size_t errlen)
{
    if (exec_sql(c, "BEGIN IMMEDIATE") != 0) {
        snprintf(err, errlen, "cannot lock the store: %s", sqlite3_errmsg(c->db));
        return -1;
    }
    int v = user_version(c);
    if (v < 0 || v > JOTD_SQLITE_SCHEMA_LATEST) {
        exec_sql(c, "ROLLBACK");
        snprintf(err, errlen, "the store's schema version %d is newer than this jotd knows (%d)", v,
                 JOTD_SQLITE_SCHEMA_LATEST);
        return -1;
    }
    for (; v < JOTD_SQLITE_SCHEMA_LATEST; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (exec_sql(c, jotd_sqlite_migrations[v]) != 0 || exec_sql(c, pragma) != 0) {
            snprintf(err, errlen, "migration %d failed: %s", v + 1, sqlite3_errmsg(c->db));
            exec_sql(c, "ROLLBACK");
            return -1;
        }
    }
    if (exec_sql(c, "COMMIT") != 0) {
        snprintf(err, errlen, "cannot commit the schema: %s", sqlite3_errmsg(c->db));
        return -1;
    }
    return 0;
}

jotd_store_rc jotd_store_open(const char *location, jotd_store **out, char *err, size_t errlen)
{
    *out = NULL;
    /* Create the file ourselves so that it is 0600 from its first byte;
     * SQLite gives its -wal and -shm files the same mode. */
    int fd = open(location, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open store %s: %s", location, strerror(errno));
        return JOTD_STORE_ERROR;
    }
    close(fd);
    if (sqlite3_threadsafe() == 0) {
        snprintf(err, errlen, "this SQLite is built without thread support");
        return JOTD_STORE_ERROR;
    }
    jotd_store *s = jotd_xcalloc(1, sizeof *s);
    s->path = jotd_xstrdup(location);
    pthread_mutex_init(&s->lock, NULL);
    conn *c = conn_open(s->path);
    if (!c) {
        snprintf(err, errlen, "cannot open store %s as SQLite", location);
        jotd_store_close(s);
        return JOTD_STORE_ERROR;
    }
    if (migrate(c, err, errlen) != 0) {
        conn_close(c);
        jotd_store_close(s);
        return JOTD_STORE_ERROR;
    }
    release(s, c);
    *out = s;
    return JOTD_STORE_OK;
}

void jotd_store_close(jotd_store *s)
{
    if (!s)
        return;
    conn *c = s->free_list;
    while (c) {
        conn *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

int jotd_store_schema_version(jotd_store *s)
{
    conn *c = acquire(s);
    if (!c)
        return -1;
    int v = user_version(c);
    release(s, c);
    return v;
}

int jotd_store_schema_latest(void)
{
    return JOTD_SQLITE_SCHEMA_LATEST;
}

jotd_store_rc jotd_store_ping(jotd_store *s)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_PING);
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    done(st);
    release(s, c);
    return rc == SQLITE_ROW ? JOTD_STORE_OK : JOTD_STORE_ERROR;
}

/* ---- Users ------------------------------------------------------------ */

jotd_store_rc jotd_store_user_insert(jotd_store *s, const jotd_user *u)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_USER_INSERT);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, u->id);
        bind_text(st, 2, u->username);
        bind_text(st, 3, u->password_hash);
        bind_text(st, 4, u->role);
        sqlite3_bind_int64(st, 5, u->created_at);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            ret = JOTD_STORE_OK;
        else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            ret = JOTD_STORE_EXISTS;
        else
            log_db(c, "user_insert");
        done(st);
    }
    release(s, c);
    return ret;
}

static jotd_store_rc user_select(jotd_store *s, enum stmt_id id, const char *key, jotd_user *out)
{
    memset(out, 0, sizeof *out);
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, id);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, key);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            col_copy(st, 0, out->id, sizeof out->id);
            col_copy(st, 1, out->username, sizeof out->username);
            col_copy(st, 2, out->role, sizeof out->role);
            const unsigned char *h = sqlite3_column_text(st, 3);
            out->password_hash = jotd_xstrdup(h ? (const char *)h : "");
            out->created_at = col_int(st, 4);
            ret = JOTD_STORE_OK;
        } else if (rc == SQLITE_DONE) {
            ret = JOTD_STORE_NOT_FOUND;
        } else {
            log_db(c, "user_select");
        }
        done(st);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_store_user_find(jotd_store *s, const char *username, jotd_user *out)
{
    return user_select(s, S_USER_FIND, username, out);
}

jotd_store_rc jotd_store_user_get(jotd_store *s, const char *id, jotd_user *out)
{
    return user_select(s, S_USER_GET, id, out);
}

jotd_store_rc jotd_store_user_set_hash(jotd_store *s, const char *id, const char *password_hash)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_USER_SET_HASH);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, id);
        bind_text(st, 2, password_hash);
        if (sqlite3_step(st) == SQLITE_DONE)
            ret = sqlite3_changes(c->db) == 1 ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
        else
            log_db(c, "user_set_hash");
        done(st);
    }
    release(s, c);
    return ret;
}

void jotd_user_release(jotd_user *u)
{
    jotd_free_secret(u->password_hash);
    u->password_hash = NULL;
}

/* ---- Keys ------------------------------------------------------------- */

jotd_store_rc jotd_store_key_insert(jotd_store *s, const jotd_key_row *k)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_KEY_INSERT);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, k->kid);
        bind_text(st, 2, k->alg);
        sqlite3_bind_blob(st, 3, k->sealed, (int)k->sealed_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, k->created_at);
        sqlite3_bind_int64(st, 5, k->activate_at);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            ret = JOTD_STORE_OK;
        else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            ret = JOTD_STORE_EXISTS;
        else
            log_db(c, "key_insert");
        done(st);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_store_key_list(jotd_store *s, jotd_key_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_KEY_LIST);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    jotd_key_row *rows = NULL;
    size_t count = 0;
    if (st) {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows = jotd_xrealloc(rows, (count + 1) * sizeof *rows);
            jotd_key_row *k = &rows[count++];
            memset(k, 0, sizeof *k);
            col_copy(st, 0, k->kid, sizeof k->kid);
            col_copy(st, 1, k->alg, sizeof k->alg);
            int bl = sqlite3_column_bytes(st, 2);
            const void *b = sqlite3_column_blob(st, 2);
            k->sealed = jotd_xmalloc((size_t)bl);
            if (bl > 0)
                memcpy(k->sealed, b, (size_t)bl);
            k->sealed_len = (size_t)bl;
            k->created_at = col_int(st, 3);
            k->activate_at = col_int(st, 4);
        }
        if (rc == SQLITE_DONE) {
            ret = JOTD_STORE_OK;
        } else {
            log_db(c, "key_list");
            jotd_key_rows_free(rows, count);
            rows = NULL;
            count = 0;
        }
        done(st);
    }
    release(s, c);
    *out = rows;
    *n = count;
    return ret;
}

jotd_store_rc jotd_store_key_delete(jotd_store *s, const char *kid)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_KEY_DELETE);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, kid);
        if (sqlite3_step(st) == SQLITE_DONE)
            ret = sqlite3_changes(c->db) ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
        else
            log_db(c, "key_delete");
        done(st);
    }
    release(s, c);
    return ret;
}

void jotd_key_rows_free(jotd_key_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jotd_wipe(rows[i].sealed, rows[i].sealed_len);
        free(rows[i].sealed);
    }
    free(rows);
}

/* ---- Sessions --------------------------------------------------------- */

static void rollback(conn *c)
{
    run(c, S_ROLLBACK);
}

jotd_store_rc jotd_store_session_create(jotd_store *s, const jotd_family *f, const jotd_refresh_new *t)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (run(c, S_BEGIN) != SQLITE_DONE) {
        log_db(c, "begin");
        release(s, c);
        return ret;
    }
    sqlite3_stmt *st = stmt(c, S_FAMILY_INSERT);
    int rc = SQLITE_ERROR;
    if (st) {
        bind_text(st, 1, f->id);
        bind_text(st, 2, f->user_id);
        sqlite3_bind_int64(st, 3, f->created_at);
        sqlite3_bind_int64(st, 4, f->expires_at);
        sqlite3_bind_int64(st, 5, t->expires_at);
        bind_text(st, 6, f->client_addr);
        bind_text(st, 7, f->user_agent);
        rc = sqlite3_step(st);
        done(st);
    }
    if (rc == SQLITE_DONE && (st = stmt(c, S_TOKEN_INSERT)) != NULL) {
        bind_text(st, 1, t->jti);
        bind_text(st, 2, f->id);
        sqlite3_bind_blob(st, 3, t->hash, sizeof t->hash, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, t->issued_at);
        sqlite3_bind_int64(st, 5, t->expires_at);
        rc = sqlite3_step(st);
        done(st);
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_DONE && run(c, S_COMMIT) == SQLITE_DONE) {
        ret = JOTD_STORE_OK;
    } else {
        log_db(c, "session_create");
        rollback(c);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_store_refresh_get(jotd_store *s, const char *jti, jotd_refresh_info *out)
{
    memset(out, 0, sizeof *out);
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_REFRESH_GET);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, jti);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            col_copy(st, 0, out->jti, sizeof out->jti);
            col_copy(st, 1, out->family_id, sizeof out->family_id);
            if (sqlite3_column_bytes(st, 2) == (int)sizeof out->hash)
                memcpy(out->hash, sqlite3_column_blob(st, 2), sizeof out->hash);
            const char *state = (const char *)sqlite3_column_text(st, 3);
            out->state = (state && strcmp(state, "active") == 0)  ? JOTD_REFRESH_ACTIVE
                         : (state && strcmp(state, "spent") == 0) ? JOTD_REFRESH_SPENT
                                                                  : JOTD_REFRESH_REVOKED;
            out->issued_at = col_int(st, 4);
            out->expires_at = col_int(st, 5);
            out->spent_at = col_int(st, 6);
            col_copy(st, 7, out->successor_jti, sizeof out->successor_jti);
            int bl = sqlite3_column_bytes(st, 8);
            if (bl > 0) {
                out->successor_sealed = jotd_xmalloc((size_t)bl);
                memcpy(out->successor_sealed, sqlite3_column_blob(st, 8), (size_t)bl);
                out->successor_sealed_len = (size_t)bl;
            }
            out->family_created_at = col_int(st, 9);
            out->family_expires_at = col_int(st, 10);
            out->family_revoked_at = sqlite3_column_type(st, 11) == SQLITE_NULL ? 0 : col_int(st, 11);
            col_copy(st, 12, out->user.id, sizeof out->user.id);
            col_copy(st, 13, out->user.username, sizeof out->user.username);
            col_copy(st, 14, out->user.role, sizeof out->user.role);
            out->user.created_at = col_int(st, 15);
            const char *sstate = (const char *)sqlite3_column_text(st, 16);
            out->successor_active = sstate && strcmp(sstate, "active") == 0;
            ret = JOTD_STORE_OK;
        } else if (rc == SQLITE_DONE) {
            ret = JOTD_STORE_NOT_FOUND;
        } else {
            log_db(c, "refresh_get");
        }
        done(st);
    }
    release(s, c);
    return ret;
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

jotd_store_rc jotd_store_refresh_rotate(jotd_store *s, const char *old_jti, const char *family_id, int64_t now,
                                        const jotd_refresh_new *successor, const uint8_t *successor_sealed,
                                        size_t successor_sealed_len)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    if (run(c, S_BEGIN) != SQLITE_DONE) {
        log_db(c, "begin");
        release(s, c);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_SPEND);
    if (!st)
        goto fail;
    bind_text(st, 1, old_jti);
    sqlite3_bind_int64(st, 2, now);
    bind_text(st, 3, successor->jti);
    if (successor_sealed)
        sqlite3_bind_blob(st, 4, successor_sealed, (int)successor_sealed_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    int rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        goto fail;
    if (sqlite3_changes(c->db) != 1) {
        /* Lost the race (or the token was revoked): change nothing. */
        ret = JOTD_STORE_CONFLICT;
        goto fail;
    }
    st = stmt(c, S_TOKEN_INSERT);
    if (!st)
        goto fail;
    bind_text(st, 1, successor->jti);
    bind_text(st, 2, family_id);
    sqlite3_bind_blob(st, 3, successor->hash, sizeof successor->hash, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, successor->issued_at);
    sqlite3_bind_int64(st, 5, successor->expires_at);
    rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        goto fail;
    st = stmt(c, S_FAMILY_TOUCH);
    if (!st)
        goto fail;
    bind_text(st, 1, family_id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, successor->expires_at);
    rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        goto fail;
    if (sqlite3_changes(c->db) != 1) {
        ret = JOTD_STORE_CONFLICT;
        goto fail;
    }
    if (run(c, S_COMMIT) != SQLITE_DONE)
        goto fail;
    release(s, c);
    return JOTD_STORE_OK;
fail:
    if (ret == JOTD_STORE_ERROR)
        log_db(c, "refresh_rotate");
    rollback(c);
    release(s, c);
    return ret;
}

jotd_store_rc jotd_store_family_revoke(jotd_store *s, const char *family_id, int64_t now, const char *reason)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    if (run(c, S_BEGIN) != SQLITE_DONE) {
        log_db(c, "begin");
        release(s, c);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_FAMILY_REVOKE);
    int rc = SQLITE_ERROR;
    int changed = 0;
    if (st) {
        bind_text(st, 1, family_id);
        sqlite3_bind_int64(st, 2, now);
        bind_text(st, 3, reason);
        rc = sqlite3_step(st);
        changed = sqlite3_changes(c->db);
        done(st);
    }
    if (rc == SQLITE_DONE && (st = stmt(c, S_TOKENS_REVOKE)) != NULL) {
        bind_text(st, 1, family_id);
        rc = sqlite3_step(st);
        done(st);
    }
    if (rc == SQLITE_DONE && run(c, S_COMMIT) == SQLITE_DONE) {
        ret = changed ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
    } else {
        log_db(c, "family_revoke");
        rollback(c);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_store_revoked_since(jotd_store *s, int64_t since,
                                       void (*cb)(const char *family_id, int64_t revoked_at, void *ctx),
                                       void *ctx)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_REVOKED_SINCE);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        sqlite3_bind_int64(st, 1, since);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            if (id)
                cb(id, col_int(st, 1), ctx);
        }
        if (rc == SQLITE_DONE)
            ret = JOTD_STORE_OK;
        else
            log_db(c, "revoked_since");
        done(st);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_store_purge(jotd_store *s, int64_t grace_end, int64_t dead_before)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_PURGE_SEALED);
    if (st) {
        sqlite3_bind_int64(st, 1, grace_end);
        int rc = sqlite3_step(st);
        done(st);
        st = rc == SQLITE_DONE ? stmt(c, S_PURGE_FAMILIES) : NULL;
        if (st) {
            sqlite3_bind_int64(st, 1, dead_before);
            rc = sqlite3_step(st);
            done(st);
            if (rc == SQLITE_DONE)
                ret = JOTD_STORE_OK;
        }
    }
    if (ret != JOTD_STORE_OK)
        log_db(c, "purge");
    release(s, c);
    return ret;
}
