/*
 * server/store/sqlite.c - the store on SQLite: the backend jotd_store_sqlite
 * (backend.h; each operation does what store.h says of it).
 *
 * One connection per process, used by one thread at a time (a mutex). The
 * statements take microseconds, so threads barely queue; in exchange the
 * connection's page cache stays valid (with several connections, every
 * write by one would make the others drop their caches and read the pages
 * again), writers are never put to sleep by SQLite's busy handler (which
 * retries after 1, 2, 5, 10 ms...) when they meet each other, and prepared
 * statements are made once. Other processes on the same file (jotd user
 * add, jotd keys rotate) are met by the busy timeout.
 *
 * Durability: WAL with synchronous=NORMAL. A commit appends its pages to
 * the WAL with write(2) before it returns, so every committed change (each
 * refresh among them) survives a crash of jotd; the WAL is fsynced at each
 * checkpoint, not at each commit, so a crash of the machine itself (power
 * loss, kernel panic) may lose the last transactions, never the file's
 * integrity (https://sqlite.org/pragma.html#pragma_synchronous). That is
 * the trade the SQLite store makes for a refresh rate bounded by the CPU
 * rather than by the disk's flush latency; synchronous=FULL would fsync
 * every commit.
 *
 * The successor of a spent refresh token, sealed for the grace window, is
 * kept in memory (successors.c), not in the file: it is needed for
 * seconds, and the file then never holds a usable token, even in WAL pages
 * not yet overwritten. One jotd serves a given SQLite store.
 *
 * Every statement goes through run() (on the connection the caller holds,
 * inside a transaction or not) or run1() (a call of its own); the
 * transactions (session_create, refresh_exchange, family_revoke) are
 * written out, BEGIN to COMMIT.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backend.h"
#include "schema.h"
#include "successors.h"
#include "base/mem.h"
#include "base/log.h"

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
    S_REVOCATION_INSERT,
    S_REVOCATIONS,
    S_REVOCATIONS_LAST,
    S_PURGE_FAMILIES,
    S_PURGE_REVOCATIONS,
    S_API_INSERT,
    S_API_GET,
    S_API_LIST,
    S_API_REVOKE,
    S_API_TOUCH,
    S_API_PURGE,
    S_SESSION_LIST,
    S_SESSION_GET,
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_COUNT
};

#define API_COLUMNS "id, user_id, name, scopes, token_hash, created_at, expires_at, revoked_at, last_used_at, kid"
#define SESSION_COLUMNS                                                                                          \
    "id, user_id, created_at, expires_at, client_addr, user_agent, last_used_at, refresh_expires_at, revoked_at"

static const char *const sql_text[S_COUNT] = {
    [S_PING] = "SELECT 1",
    [S_USER_INSERT] = "INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_USER_FIND] = "SELECT id, username, role, password_hash, created_at FROM users WHERE username = ?1",
    [S_USER_GET] = "SELECT id, username, role, password_hash, created_at FROM users WHERE id = ?1",
    [S_USER_SET_HASH] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
    [S_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, sealed, created_at, activate_at, seq) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(seq), 0) + 1 FROM signing_keys))",
    /* With the latest expiry of the live API tokens each key signed. */
    [S_KEY_LIST] = "SELECT kid, alg, sealed, created_at, activate_at, "
                   "coalesce((SELECT max(expires_at) FROM api_tokens a WHERE a.kid = k.kid AND revoked_at IS NULL), 0) "
                   "FROM signing_keys k ORDER BY activate_at, seq",
    [S_KEY_DELETE] = "DELETE FROM signing_keys WHERE kid = ?1",
    [S_FAMILY_INSERT] = "INSERT INTO families (id, user_id, created_at, expires_at, refresh_expires_at, "
                        "last_used_at, client_addr, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?3, ?6, ?7)",
    [S_TOKEN_INSERT] = "INSERT INTO refresh_tokens (jti, family_id, token_hash, state, issued_at, expires_at) "
                       "VALUES (?1, ?2, ?3, 'active', ?4, ?5)",
    [S_REFRESH_GET] =
        "SELECT t.jti, t.family_id, t.token_hash, t.state, t.issued_at, t.expires_at, t.spent_at, "
        "t.successor_jti, f.refresh_expires_at, f.created_at, f.expires_at, f.revoked_at, "
        "u.id, u.username, u.role, u.created_at, s.state "
        "FROM refresh_tokens t JOIN families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id "
        "LEFT JOIN refresh_tokens s ON s.family_id = t.family_id AND s.jti = t.successor_jti "
        "WHERE t.family_id = ?2 AND t.jti = ?1",
    /* The compare-and-set: only an active token can be spent, once. */
    [S_SPEND] = "UPDATE refresh_tokens SET state = 'spent', spent_at = ?2, successor_jti = ?3 "
                "WHERE family_id = ?4 AND jti = ?1 AND state = 'active'",
    [S_FAMILY_TOUCH] = "UPDATE families SET last_used_at = ?2, refresh_expires_at = max(refresh_expires_at, ?3) "
                       "WHERE id = ?1",
    [S_FAMILY_REVOKE] = "UPDATE families SET revoked_at = ?2, revoke_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL",
    [S_TOKENS_REVOKE] = "UPDATE refresh_tokens SET state = 'revoked' WHERE family_id = ?1 AND state = 'active'",
    [S_REVOCATION_INSERT] = "INSERT INTO revocations (kind, id, revoked_at, ends_at) VALUES ('family', ?1, ?2, ?3)",
    [S_REVOCATIONS] = "SELECT seq, kind, id, revoked_at, ends_at FROM revocations WHERE seq > ?1 AND ends_at > ?2 "
                      "ORDER BY seq",
    [S_REVOCATIONS_LAST] = "SELECT coalesce(max(seq), 0) FROM revocations",
    /* In batches, so that the store is never held for long. */
    [S_PURGE_FAMILIES] = "DELETE FROM families WHERE id IN (SELECT id FROM families WHERE expires_at < ?1 "
                         "UNION ALL SELECT id FROM families WHERE refresh_expires_at < ?1 LIMIT 256)",
    [S_PURGE_REVOCATIONS] = "DELETE FROM revocations WHERE seq IN (SELECT seq FROM revocations WHERE ends_at < ?1 "
                            "LIMIT 256)",
    [S_API_INSERT] = "INSERT INTO api_tokens (id, user_id, name, scopes, token_hash, created_at, expires_at, kid) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_API_GET] = "SELECT " API_COLUMNS " FROM api_tokens WHERE id = ?1",
    [S_API_LIST] = "SELECT " API_COLUMNS " FROM api_tokens WHERE user_id = ?1 ORDER BY created_at DESC, id",
    /* The first revocation time stays; the first revocation alone goes to
     * the log (the trigger of schema 4). */
    [S_API_REVOKE] = "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?3) WHERE id = ?1 AND user_id = ?2",
    [S_API_TOUCH] = "UPDATE api_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?2) WHERE id = ?1",
    [S_API_PURGE] = "DELETE FROM api_tokens WHERE id IN (SELECT id FROM api_tokens WHERE expires_at < ?1 LIMIT 256)",
    [S_SESSION_LIST] = "SELECT " SESSION_COLUMNS " FROM families WHERE user_id = ?1 AND revoked_at IS NULL "
                       "AND expires_at > ?2 AND refresh_expires_at > ?2 ORDER BY last_used_at DESC, created_at DESC, id "
                       "LIMIT " JOTD_STR(JOTD_SESSION_LIST_MAX),
    [S_SESSION_GET] = "SELECT " SESSION_COLUMNS " FROM families WHERE id = ?1",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
};

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
} conn;

typedef struct jotd_sqlite {
    char *path;
    /* The connection, and the sealed successors: a token is spent and its
     * successor kept under one hold of it. */
    pthread_mutex_t lock;
    conn *c;
    jotd_successor_cache *successors;

    /* The checkpointer (jotd_sqlite_background). */
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    pthread_t ckpt_thread;
    int ckpt_running;
    int ckpt_stop;
    int ckpt_due;
} jotd_sqlite;

/* A checkpoint copies the WAL's pages into the database file and fsyncs
 * both; with SQLite's default it runs inside the commit that crosses 1000
 * WAL pages, that is under the store's lock, where it held every refresh up
 * for 10 to 25 ms several times a second. jotd serve runs it on a thread of
 * its own instead, with a connection of its own (a PASSIVE checkpoint never
 * blocks the writer): the commit only signals it. Should it fall behind,
 * the commit does it after all. */
#define CKPT_FRAMES 1000
#define CKPT_INLINE_FRAMES 50000

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
    /* WAL lets other processes read beside the writer; synchronous=NORMAL
     * (see the top of this file); secure_delete=FAST zeroes deleted
     * content where that costs no extra write (old password hashes,
     * retired keys' sealed text); foreign keys make deleting a family
     * delete its tokens; a 16 MiB page cache holds the hot b-tree pages. */
    if (exec_sql(c, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                    "PRAGMA secure_delete = FAST; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;"
                    "PRAGMA journal_size_limit = 67108864;") != 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    jotd_sqlite *s = arg;
    if (frames >= CKPT_INLINE_FRAMES) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (frames >= CKPT_FRAMES) {
        pthread_mutex_lock(&s->ckpt_lock);
        s->ckpt_due = 1;
        pthread_cond_signal(&s->ckpt_cond);
        pthread_mutex_unlock(&s->ckpt_lock);
    }
    return SQLITE_OK;
}

/* The connection, for the calling thread alone until release. NULL when it
 * cannot be opened (logged); the lock is not held then. */
static conn *acquire(jotd_sqlite *s)
{
    pthread_mutex_lock(&s->lock);
    if (!s->c) {
        s->c = conn_open(s->path);
        /* Replaces SQLite's own checkpointing hook. */
        if (s->c && s->ckpt_running)
            sqlite3_wal_hook(s->c->db, wal_hook, s);
    }
    if (!s->c)
        pthread_mutex_unlock(&s->lock);
    return s->c;
}

static void release(jotd_sqlite *s, conn *c)
{
    if (!c)
        return;
    /* The connection is handed on outside any transaction: one left open
     * (a failed ROLLBACK) would make every later BEGIN fail, so such a
     * connection is closed instead, and the next user opens a new one. */
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        if (!sqlite3_get_autocommit(c->db)) {
            jotd_log("error", "store", "op", "release", "detail", "a transaction stayed open; connection closed",
                     NULL);
            conn_close(c);
            s->c = NULL;
        }
    }
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
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_args(sqlite3_stmt *st, const jotd_store_arg *args, size_t nargs)
{
    for (size_t i = 0; i < nargs; i++) {
        const jotd_store_arg *a = &args[i];
        int at = (int)i + 1;
        if (a->type == JOTD_ARG_INT)
            sqlite3_bind_int64(st, at, a->i);
        else if (!a->p)
            sqlite3_bind_null(st, at);
        else if (a->type == JOTD_ARG_TEXT)
            sqlite3_bind_text(st, at, a->p, -1, SQLITE_STATIC);
        else
            sqlite3_bind_blob(st, at, a->p, (int)a->len, SQLITE_STATIC);
    }
}

/* Reads one row of a statement's result into ctx. */
typedef void (*row_fn)(sqlite3_stmt *st, void *ctx);

/* Run statement id with args on c, which the caller holds (inside a
 * transaction or not), and read its outcome as want says. Each row it
 * returns goes to row(st, ctx) (only the first with W_ONE); for a statement
 * without rows, ctx (unless NULL) is a long that receives the number of
 * rows it changed. A failure is logged as what, after the "prepare" line
 * when the statement could not be prepared; what NULL: the caller logs. */
static jotd_store_rc run(conn *c, enum stmt_id id, const jotd_store_arg *args, size_t nargs, row_fn row, void *ctx,
                         jotd_store_want want, const char *what)
{
    sqlite3_stmt *st = stmt(c, id);
    if (!st) {
        if (what)
            log_db(c, what);
        return JOTD_STORE_ERROR;
    }
    bind_args(st, args, nargs);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (row)
            row(st, ctx);
        if (want == W_ONE)
            break;
    }
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        if (!row && ctx)
            *(long *)ctx = sqlite3_changes(c->db);
        if (want == W_ONE)
            ret = rc == SQLITE_ROW ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
        else if (want == W_CHANGE)
            ret = sqlite3_changes(c->db) ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
        else
            ret = JOTD_STORE_OK;
    } else if (want == W_INSERT && (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)) {
        ret = JOTD_STORE_EXISTS;
    } else if (what) {
        log_db(c, what);
    }
    done(st);
    return ret;
}

/* run() as a call of its own: the connection is taken and handed back. */
static jotd_store_rc run1(jotd_sqlite *s, enum stmt_id id, const jotd_store_arg *args, size_t nargs, row_fn row,
                          void *ctx, jotd_store_want want, const char *what)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = run(c, id, args, nargs, row, ctx, want, what);
    release(s, c);
    return ret;
}

/* BEGIN IMMEDIATE: the write lock is taken now, so that a transaction
 * that read cannot fail later for want of it (SQLITE_BUSY on upgrade). */
static int begin(conn *c)
{
    if (run(c, S_BEGIN, NO_ARGS, NULL, NULL, W_DONE, NULL) == JOTD_STORE_OK)
        return 1;
    log_db(c, "begin");
    return 0;
}

static int commit(conn *c)
{
    return run(c, S_COMMIT, NO_ARGS, NULL, NULL, W_DONE, NULL) == JOTD_STORE_OK;
}

static void rollback(conn *c)
{
    run(c, S_ROLLBACK, NO_ARGS, NULL, NULL, W_DONE, NULL);
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

/* An integer column that may be NULL (0 then). */
static int64_t col_int0(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : col_int(st, i);
}

static void int_row(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = col_int(st, 0);
}

/* The rows of a listing, each read by fill into a new element of rows. */
typedef struct listing {
    jotd_rows rows;
    row_fn fill;
} listing;

static void listing_row(sqlite3_stmt *st, void *ctx)
{
    listing *l = ctx;
    l->fill(st, jotd_rows_add(&l->rows));
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

static void jotd_sqlite_close(void *h);

static int jotd_sqlite_accepts(const char *location)
{
    /* Whatever the other backends do not take is a file path. */
    (void)location;
    return 1;
}

static jotd_store_rc jotd_sqlite_open(const char *location, void **out, char *err, size_t errlen)
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
    jotd_sqlite *s = jotd_xcalloc(1, sizeof *s);
    s->path = jotd_xstrdup(location);
    pthread_mutex_init(&s->lock, NULL);
    s->successors = jotd_successor_cache_new();
    pthread_mutex_init(&s->ckpt_lock, NULL);
    pthread_cond_init(&s->ckpt_cond, NULL);
    conn *c = conn_open(s->path);
    if (!c) {
        snprintf(err, errlen, "cannot open store %s as SQLite", location);
        jotd_sqlite_close(s);
        return JOTD_STORE_ERROR;
    }
    if (migrate(c, err, errlen) != 0) {
        conn_close(c);
        jotd_sqlite_close(s);
        return JOTD_STORE_ERROR;
    }
    s->c = c;
    *out = s;
    return JOTD_STORE_OK;
}

static void *checkpointer(void *arg)
{
    jotd_sqlite *s = arg;
    conn *c = conn_open(s->path);
    pthread_mutex_lock(&s->ckpt_lock);
    while (!s->ckpt_stop) {
        if (!s->ckpt_due) {
            /* Also once a second when nothing signals: what is left in the
             * WAL reaches the database file while jotd is idle. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&s->ckpt_cond, &s->ckpt_lock, &ts);
            if (s->ckpt_stop)
                break;
        }
        s->ckpt_due = 0;
        pthread_mutex_unlock(&s->ckpt_lock);
        if (!c)
            c = conn_open(s->path);
        /* The bulk of the copying and its fsyncs run beside the
         * requests. Commits that land meanwhile leave frames behind, and
         * SQLite starts the WAL over only once every frame has been copied,
         * which a steady stream of commits never allows: the rest is then
         * copied under the store's lock (the frames of the last few
         * milliseconds, not a thousand pages), and the next commit starts
         * the WAL over. */
        int nlog = 0, nckpt = 0;
        if (c && sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt) != SQLITE_OK) {
            if (sqlite3_errcode(c->db) != SQLITE_BUSY)
                log_db(c, "checkpoint");
        } else if (c && nckpt < nlog && nlog >= CKPT_FRAMES) {
            pthread_mutex_lock(&s->lock);
            if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK &&
                sqlite3_errcode(c->db) != SQLITE_BUSY)
                log_db(c, "checkpoint");
            pthread_mutex_unlock(&s->lock);
        }
        pthread_mutex_lock(&s->ckpt_lock);
    }
    pthread_mutex_unlock(&s->ckpt_lock);
    conn_close(c);
    return NULL;
}

static void jotd_sqlite_background(void *h)
{
    jotd_sqlite *s = h;
    pthread_mutex_lock(&s->lock);
    if (!s->ckpt_running && pthread_create(&s->ckpt_thread, NULL, checkpointer, s) == 0) {
        s->ckpt_running = 1;
        if (s->c)
            sqlite3_wal_hook(s->c->db, wal_hook, s);
    }
    pthread_mutex_unlock(&s->lock);
}

static void jotd_sqlite_close(void *h)
{
    jotd_sqlite *s = h;
    if (!s)
        return;
    if (s->ckpt_running) {
        pthread_mutex_lock(&s->ckpt_lock);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->ckpt_cond);
        pthread_mutex_unlock(&s->ckpt_lock);
        pthread_join(s->ckpt_thread, NULL);
    }
    pthread_cond_destroy(&s->ckpt_cond);
    pthread_mutex_destroy(&s->ckpt_lock);
    /* The last connection to close checkpoints the WAL in full. */
    conn_close(s->c);
    jotd_successor_cache_free(s->successors);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

static int jotd_sqlite_schema_version(void *h)
{
    jotd_sqlite *s = h;
    conn *c = acquire(s);
    if (!c)
        return -1;
    int v = user_version(c);
    release(s, c);
    return v;
}

static jotd_store_rc jotd_sqlite_ping(void *h)
{
    /* The answer is the report: nothing to log. */
    return run1(h, S_PING, NO_ARGS, NULL, NULL, W_ONE, NULL) == JOTD_STORE_OK ? JOTD_STORE_OK : JOTD_STORE_ERROR;
}

/* ---- Users ------------------------------------------------------------ */

static jotd_store_rc jotd_sqlite_user_insert(void *h, const jotd_user *u)
{
    return run1(h, S_USER_INSERT,
                ARGS(arg_text(u->id), arg_text(u->username), arg_text(u->password_hash), arg_text(u->role),
                     arg_int(u->created_at)),
                NULL, NULL, W_INSERT, "user_insert");
}

static void user_row(sqlite3_stmt *st, void *out)
{
    jotd_user *u = out;
    col_copy(st, 0, u->id, sizeof u->id);
    col_copy(st, 1, u->username, sizeof u->username);
    col_copy(st, 2, u->role, sizeof u->role);
    const unsigned char *hash = sqlite3_column_text(st, 3);
    u->password_hash = jotd_xstrdup(hash ? (const char *)hash : "");
    u->created_at = col_int(st, 4);
}

static jotd_store_rc jotd_sqlite_user_find(void *h, const char *username, jotd_user *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, S_USER_FIND, ARGS(arg_text(username)), user_row, out, W_ONE, "user_select");
}

static jotd_store_rc jotd_sqlite_user_get(void *h, const char *id, jotd_user *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, S_USER_GET, ARGS(arg_text(id)), user_row, out, W_ONE, "user_select");
}

static jotd_store_rc jotd_sqlite_user_set_hash(void *h, const char *id, const char *password_hash)
{
    return run1(h, S_USER_SET_HASH, ARGS(arg_text(id), arg_text(password_hash)), NULL, NULL, W_CHANGE,
                "user_set_hash");
}

/* ---- Keys ------------------------------------------------------------- */

static jotd_store_rc jotd_sqlite_key_insert(void *h, const jotd_key_row *k)
{
    return run1(h, S_KEY_INSERT,
                ARGS(arg_text(k->kid), arg_text(k->alg), arg_bytes(k->sealed, k->sealed_len), arg_int(k->created_at),
                     arg_int(k->activate_at)),
                NULL, NULL, W_INSERT, "key_insert");
}

static void key_row(sqlite3_stmt *st, void *out)
{
    jotd_key_row *k = out;
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
    k->api_until = col_int(st, 5);
}

static jotd_store_rc jotd_sqlite_key_list(void *h, jotd_key_row **out, size_t *n)
{
    listing l = {.rows = {.size = sizeof **out, .drop = jotd_key_rows_drop}, .fill = key_row};
    jotd_store_rc rc = run1(h, S_KEY_LIST, NO_ARGS, listing_row, &l, W_ROWS, "key_list");
    *out = jotd_rows_take(&l.rows, rc, n);
    return rc;
}

static jotd_store_rc jotd_sqlite_key_delete(void *h, const char *kid)
{
    return run1(h, S_KEY_DELETE, ARGS(arg_text(kid)), NULL, NULL, W_CHANGE, "key_delete");
}

/* ---- Sessions --------------------------------------------------------- */

/* S_TOKEN_INSERT: a new active refresh token of the family. */
static jotd_store_rc insert_token(conn *c, const char *family_id, const jotd_refresh_new *t)
{
    return run(c, S_TOKEN_INSERT,
               ARGS(arg_text(t->jti), arg_text(family_id), arg_bytes(t->hash, sizeof t->hash), arg_int(t->issued_at),
                    arg_int(t->expires_at)),
               NULL, NULL, W_DONE, NULL);
}

static jotd_store_rc jotd_sqlite_session_create(void *h, const jotd_family *f, const jotd_refresh_new *t)
{
    jotd_sqlite *s = h;
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (begin(c)) {
        if (run(c, S_FAMILY_INSERT,
                ARGS(arg_text(f->id), arg_text(f->user_id), arg_int(f->created_at), arg_int(f->expires_at),
                     arg_int(t->expires_at), arg_text(f->client_addr), arg_text(f->user_agent)),
                NULL, NULL, W_DONE, NULL) == JOTD_STORE_OK &&
            insert_token(c, f->id, t) == JOTD_STORE_OK && commit(c)) {
            ret = JOTD_STORE_OK;
        } else {
            log_db(c, "session_create");
            rollback(c);
        }
    }
    release(s, c);
    return ret;
}

static void refresh_row(sqlite3_stmt *st, void *ctx)
{
    jotd_refresh_info *out = ctx;
    col_copy(st, 0, out->jti, sizeof out->jti);
    col_copy(st, 1, out->family_id, sizeof out->family_id);
    if (sqlite3_column_bytes(st, 2) == (int)sizeof out->hash)
        memcpy(out->hash, sqlite3_column_blob(st, 2), sizeof out->hash);
    out->state = jotd_refresh_state_parse((const char *)sqlite3_column_text(st, 3));
    out->issued_at = col_int(st, 4);
    out->expires_at = col_int(st, 5);
    out->spent_at = col_int(st, 6);
    col_copy(st, 7, out->successor_jti, sizeof out->successor_jti);
    out->family_refresh_expires_at = col_int(st, 8);
    out->family_created_at = col_int(st, 9);
    out->family_expires_at = col_int(st, 10);
    out->family_revoked_at = col_int0(st, 11);
    col_copy(st, 12, out->user.id, sizeof out->user.id);
    col_copy(st, 13, out->user.username, sizeof out->user.username);
    col_copy(st, 14, out->user.role, sizeof out->user.role);
    out->user.created_at = col_int(st, 15);
    out->successor_active = jotd_refresh_state_parse((const char *)sqlite3_column_text(st, 16)) == JOTD_REFRESH_ACTIVE;
}

/* S_REFRESH_GET for (family_id, jti) into *out, with the sealed successor
 * of a spent token (the caller holds c, and so the successors too). */
static jotd_store_rc read_refresh(jotd_sqlite *s, conn *c, const char *family_id, const char *jti,
                                  jotd_refresh_info *out)
{
    memset(out, 0, sizeof *out);
    jotd_store_rc ret =
        run(c, S_REFRESH_GET, ARGS(arg_text(jti), arg_text(family_id)), refresh_row, out, W_ONE, "refresh_get");
    if (ret == JOTD_STORE_OK && out->state == JOTD_REFRESH_SPENT)
        jotd_successor_cache_read(s->successors, out->family_id, out->jti, out);
    return ret;
}

static jotd_store_rc jotd_sqlite_refresh_get(void *h, const char *family_id, const char *jti, jotd_refresh_info *out)
{
    jotd_sqlite *s = h;
    conn *c = acquire(s);
    if (!c) {
        memset(out, 0, sizeof *out);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = read_refresh(s, c, family_id, jti, out);
    release(s, c);
    return ret;
}

static jotd_store_rc jotd_sqlite_refresh_exchange(void *h, const char *family_id, const char *jti, int64_t now,
                                                  jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info,
                                                  int *rotated)
{
    jotd_sqlite *s = h;
    *rotated = 0;
    memset(info, 0, sizeof *info);
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    if (!begin(c)) {
        release(s, c);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = read_refresh(s, c, family_id, jti, info);
    jotd_successor succ;
    memset(&succ, 0, sizeof succ);
    if (ret != JOTD_STORE_OK || !fn(info, &succ, ctx)) {
        /* Nothing to write: end the transaction as it is. */
        rollback(c);
        release(s, c);
        return ret;
    }
    jotd_store_rc spent =
        run(c, S_SPEND, ARGS(arg_text(jti), arg_int(now), arg_text(succ.row.jti), arg_text(family_id)), NULL, NULL,
            W_CHANGE, NULL);
    ret = spent;
    if (ret == JOTD_STORE_OK)
        ret = insert_token(c, family_id, &succ.row);
    if (ret == JOTD_STORE_OK && succ.touch_family)
        ret = run(c, S_FAMILY_TOUCH, ARGS(arg_text(family_id), arg_int(now), arg_int(succ.row.expires_at)), NULL,
                  NULL, W_DONE, NULL);
    if (ret == JOTD_STORE_OK && !commit(c))
        ret = JOTD_STORE_ERROR;
    if (ret != JOTD_STORE_OK) {
        /* The row read as active in this very transaction: only a broken
         * file finds none to spend. Change nothing. */
        if (spent == JOTD_STORE_NOT_FOUND)
            jotd_log("error", "store", "op", "refresh_exchange", "detail", "the compare-and-set found no active row",
                     NULL);
        else
            log_db(c, "refresh_exchange");
        rollback(c);
        release(s, c);
        jotd_refresh_info_release(info);
        return JOTD_STORE_ERROR;
    }
    /* Under the same lock as the commit: whoever reads the spent row next
     * finds its sealed successor too. */
    if (succ.sealed)
        jotd_successor_cache_put(s->successors, family_id, jti, now, &succ);
    *rotated = 1;
    release(s, c);
    return JOTD_STORE_OK;
}

static jotd_store_rc jotd_sqlite_refresh_grace(void *h, const char *family_id, const char *jti, unsigned max)
{
    jotd_sqlite *s = h;
    /* The sealed successors live in this process's memory, under the
     * connection's lock. */
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = jotd_successor_cache_grace(s->successors, family_id, jti, max);
    release(s, c);
    return ret;
}

static jotd_store_rc jotd_sqlite_family_revoke(void *h, const char *family_id, int64_t now, const char *reason,
                                               int64_t until)
{
    jotd_sqlite *s = h;
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (begin(c)) {
        /* NOT_FOUND: unknown or revoked before. Its tokens are revoked
         * all the same, but the log has it already (or never will). */
        jotd_store_rc revoked = run(c, S_FAMILY_REVOKE, ARGS(arg_text(family_id), arg_int(now), arg_text(reason)),
                                    NULL, NULL, W_CHANGE, NULL);
        if ((revoked == JOTD_STORE_OK || revoked == JOTD_STORE_NOT_FOUND) &&
            run(c, S_TOKENS_REVOKE, ARGS(arg_text(family_id)), NULL, NULL, W_DONE, NULL) == JOTD_STORE_OK &&
            (revoked == JOTD_STORE_NOT_FOUND ||
             run(c, S_REVOCATION_INSERT, ARGS(arg_text(family_id), arg_int(now), arg_int(until)), NULL, NULL, W_DONE,
                 NULL) == JOTD_STORE_OK) &&
            commit(c)) {
            ret = revoked;
        } else {
            log_db(c, "family_revoke");
            rollback(c);
        }
    }
    release(s, c);
    return ret;
}

static void revocation_row(sqlite3_stmt *st, void *ctx)
{
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    const char *id = (const char *)sqlite3_column_text(st, 2);
    jotd_revocation_read(ctx, col_int(st, 0), kind, id, col_int(st, 3), col_int(st, 4));
}

static jotd_store_rc jotd_sqlite_revocations(void *h, int64_t *cursor, int64_t now, jotd_revocation_fn cb,
                                             void *ctx)
{
    jotd_sqlite *s = h;
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    /* The newest number first: rows that are no longer in force are
     * skipped, but the cursor still moves past them. */
    int64_t last = -1;
    jotd_revocation_reader rd = {cb, ctx, *cursor};
    jotd_store_rc ret =
        run(c, S_REVOCATIONS_LAST, NO_ARGS, int_row, &last, W_ONE, NULL) == JOTD_STORE_OK
            ? run(c, S_REVOCATIONS, ARGS(arg_int(*cursor), arg_int(now)), revocation_row, &rd, W_ROWS, NULL)
            : JOTD_STORE_ERROR;
    if (ret == JOTD_STORE_OK)
        *cursor = rd.seen > last ? rd.seen : last;
    else
        log_db(c, "revocations");
    release(s, c);
    return ret;
}

/* Delete in batches of 256 with statement id (one parameter), each batch
 * its own short transaction, so that refreshes are not held up behind one
 * long delete. */
static jotd_store_rc purge_batches(jotd_sqlite *s, enum stmt_id id, int64_t before)
{
    long n = 256;
    jotd_store_rc ret = JOTD_STORE_OK;
    while (ret == JOTD_STORE_OK && n >= 256)
        ret = run1(s, id, ARGS(arg_int(before)), NULL, &n, W_DONE, "purge");
    return ret;
}

static jotd_store_rc jotd_sqlite_purge(void *h, int64_t grace_end, int64_t dead_before)
{
    jotd_sqlite *s = h;
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_successor_cache_purge(s->successors, grace_end);
    release(s, c);
    jotd_store_rc rc = purge_batches(s, S_PURGE_FAMILIES, dead_before);
    return rc == JOTD_STORE_OK ? purge_batches(s, S_PURGE_REVOCATIONS, dead_before) : rc;
}

/* ---- API tokens and the sessions list --------------------------------- */

static void api_row(sqlite3_stmt *st, void *out)
{
    jotd_api_token *t = out;
    col_copy(st, 0, t->id, sizeof t->id);
    col_copy(st, 1, t->user_id, sizeof t->user_id);
    col_copy(st, 2, t->name, sizeof t->name);
    col_copy(st, 3, t->scopes, sizeof t->scopes);
    if (sqlite3_column_bytes(st, 4) == (int)sizeof t->hash)
        memcpy(t->hash, sqlite3_column_blob(st, 4), sizeof t->hash);
    t->created_at = col_int(st, 5);
    t->expires_at = col_int(st, 6);
    t->revoked_at = col_int0(st, 7);
    t->last_used_at = col_int0(st, 8);
    col_copy(st, 9, t->kid, sizeof t->kid);
}

static void session_row(sqlite3_stmt *st, void *out)
{
    jotd_session *x = out;
    col_copy(st, 0, x->family.id, sizeof x->family.id);
    col_copy(st, 1, x->family.user_id, sizeof x->family.user_id);
    x->family.created_at = col_int(st, 2);
    x->family.expires_at = col_int(st, 3);
    col_copy(st, 4, x->family.client_addr, sizeof x->family.client_addr);
    col_copy(st, 5, x->family.user_agent, sizeof x->family.user_agent);
    x->last_used_at = col_int(st, 6);
    x->refresh_expires_at = col_int(st, 7);
    x->revoked_at = col_int0(st, 8);
}

static jotd_store_rc jotd_sqlite_api_token_insert(void *h, const jotd_api_token *t)
{
    /* A token made without a key's name keeps every key (S_KEY_LIST). */
    return run1(h, S_API_INSERT,
                ARGS(arg_text(t->id), arg_text(t->user_id), arg_text(t->name), arg_text(t->scopes),
                     arg_bytes(t->hash, sizeof t->hash), arg_int(t->created_at), arg_int(t->expires_at),
                     arg_text(t->kid[0] ? t->kid : NULL)),
                NULL, NULL, W_INSERT, "api_token_insert");
}

static jotd_store_rc jotd_sqlite_api_token_get(void *h, const char *id, jotd_api_token *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, S_API_GET, ARGS(arg_text(id)), api_row, out, W_ONE, "api_token_get");
}

static jotd_store_rc jotd_sqlite_api_token_list(void *h, const char *user_id, jotd_api_token **out, size_t *n)
{
    listing l = {.rows = {.size = sizeof **out}, .fill = api_row};
    jotd_store_rc rc = run1(h, S_API_LIST, ARGS(arg_text(user_id)), listing_row, &l, W_ROWS, "api_token_list");
    *out = jotd_rows_take(&l.rows, rc, n);
    return rc;
}

static jotd_store_rc jotd_sqlite_api_token_revoke(void *h, const char *user_id, const char *id, int64_t now)
{
    return run1(h, S_API_REVOKE, ARGS(arg_text(id), arg_text(user_id), arg_int(now)), NULL, NULL, W_CHANGE,
                "api_token_revoke");
}

static jotd_store_rc jotd_sqlite_api_token_touch(void *h, const char *id, int64_t when)
{
    return run1(h, S_API_TOUCH, ARGS(arg_text(id), arg_int(when)), NULL, NULL, W_CHANGE, "api_token_touch");
}

static jotd_store_rc jotd_sqlite_api_token_purge(void *h, int64_t dead_before)
{
    return purge_batches(h, S_API_PURGE, dead_before);
}

static jotd_store_rc jotd_sqlite_session_list(void *h, const char *user_id, int64_t now, jotd_session **out,
                                              size_t *n)
{
    listing l = {.rows = {.size = sizeof **out}, .fill = session_row};
    jotd_store_rc rc = run1(h, S_SESSION_LIST, ARGS(arg_text(user_id), arg_int(now)), listing_row, &l, W_ROWS,
                            "session_list");
    *out = jotd_rows_take(&l.rows, rc, n);
    return rc;
}

static jotd_store_rc jotd_sqlite_session_get(void *h, const char *id, jotd_session *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, S_SESSION_GET, ARGS(arg_text(id)), session_row, out, W_ONE, "session_get");
}

const jotd_store_backend jotd_store_sqlite = {
    .name = "sqlite",
    .schema_latest = JOTD_SQLITE_SCHEMA_LATEST,
    .accepts = jotd_sqlite_accepts,
    .open = jotd_sqlite_open,
    .close = jotd_sqlite_close,
    .background = jotd_sqlite_background,
    .schema_version = jotd_sqlite_schema_version,
    .ping = jotd_sqlite_ping,
    .user_insert = jotd_sqlite_user_insert,
    .user_find = jotd_sqlite_user_find,
    .user_get = jotd_sqlite_user_get,
    .user_set_hash = jotd_sqlite_user_set_hash,
    .key_insert = jotd_sqlite_key_insert,
    .key_list = jotd_sqlite_key_list,
    .key_delete = jotd_sqlite_key_delete,
    .session_create = jotd_sqlite_session_create,
    .refresh_get = jotd_sqlite_refresh_get,
    .refresh_exchange = jotd_sqlite_refresh_exchange,
    .refresh_grace = jotd_sqlite_refresh_grace,
    .family_revoke = jotd_sqlite_family_revoke,
    .revocations = jotd_sqlite_revocations,
    .watch_revocations = NULL, /* one process writes the file */
    .purge = jotd_sqlite_purge,
    .api_token_insert = jotd_sqlite_api_token_insert,
    .api_token_get = jotd_sqlite_api_token_get,
    .api_token_list = jotd_sqlite_api_token_list,
    .api_token_revoke = jotd_sqlite_api_token_revoke,
    .api_token_touch = jotd_sqlite_api_token_touch,
    .api_token_purge = jotd_sqlite_api_token_purge,
    .session_list = jotd_sqlite_session_list,
    .session_get = jotd_sqlite_session_get,
};
