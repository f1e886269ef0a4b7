/*
 * server/store/sqlite.c - the store on SQLite. See store.h (what each
 * function does) and sqlite.h.
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
 * kept in memory, not in the file: it is needed for seconds, and the file
 * then never holds a usable token, even in WAL pages not yet overwritten.
 * One jotd serves a given SQLite store.
 */
#include "sqlite.h"

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

#include "schema.h"
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
    /* With the latest expiry of the live API tokens each key signed (those
     * made before tokens named their key count for every key). */
    [S_KEY_LIST] = "SELECT kid, alg, sealed, created_at, activate_at, max("
                   "coalesce((SELECT max(expires_at) FROM api_tokens a WHERE a.kid = k.kid AND revoked_at IS NULL), 0), "
                   "coalesce((SELECT max(expires_at) FROM api_tokens a WHERE a.kid IS NULL AND revoked_at IS NULL), 0)) "
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

/* A sealed successor, by its predecessor's (family, jti), until the grace
 * window has passed. Entries are also in a list in the order they came,
 * which is the order of their spent_at, so the purge takes from its head. */
typedef struct sealed {
    struct sealed *next_hash;
    struct sealed *next_age;
    int64_t spent_at;
    int64_t until;
    uint64_t hash;
    uint8_t *data;
    size_t len;
    uint8_t spent_by[32];
    unsigned grace_used;
    char key[]; /* family_id, NUL, jti, NUL */
} sealed;

#define SEALED_MAX 1000000

struct jotd_sqlite {
    char *path;
    pthread_mutex_t lock; /* the connection, and the sealed successors */
    conn *c;
    sealed **buckets;
    size_t nbuckets;
    size_t nsealed;
    sealed *oldest;
    sealed *newest;

    /* The checkpointer (jotd_sqlite_background). */
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    pthread_t ckpt_thread;
    int ckpt_running;
    int ckpt_stop;
    int ckpt_due;
};

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

jotd_store_rc jotd_sqlite_open(const char *location, jotd_sqlite **out, char *err, size_t errlen)
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
    s->nbuckets = 1024;
    s->buckets = jotd_xcalloc(s->nbuckets, sizeof *s->buckets);
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

static void sealed_free(sealed *e)
{
    jotd_wipe(e->data, e->len);
    free(e->data);
    free(e);
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

void jotd_sqlite_background(jotd_sqlite *s)
{
    pthread_mutex_lock(&s->lock);
    if (!s->ckpt_running && pthread_create(&s->ckpt_thread, NULL, checkpointer, s) == 0) {
        s->ckpt_running = 1;
        if (s->c)
            sqlite3_wal_hook(s->c->db, wal_hook, s);
    }
    pthread_mutex_unlock(&s->lock);
}

void jotd_sqlite_close(jotd_sqlite *s)
{
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
    for (sealed *e = s->oldest; e;) {
        sealed *next = e->next_age;
        sealed_free(e);
        e = next;
    }
    free(s->buckets);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

int jotd_sqlite_schema_version(jotd_sqlite *s)
{
    conn *c = acquire(s);
    if (!c)
        return -1;
    int v = user_version(c);
    release(s, c);
    return v;
}

int jotd_sqlite_schema_latest(void)
{
    return JOTD_SQLITE_SCHEMA_LATEST;
}

jotd_store_rc jotd_sqlite_ping(jotd_sqlite *s)
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

jotd_store_rc jotd_sqlite_user_insert(jotd_sqlite *s, const jotd_user *u)
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

static jotd_store_rc user_select(jotd_sqlite *s, enum stmt_id id, const char *key, jotd_user *out)
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

jotd_store_rc jotd_sqlite_user_find(jotd_sqlite *s, const char *username, jotd_user *out)
{
    return user_select(s, S_USER_FIND, username, out);
}

jotd_store_rc jotd_sqlite_user_get(jotd_sqlite *s, const char *id, jotd_user *out)
{
    return user_select(s, S_USER_GET, id, out);
}

jotd_store_rc jotd_sqlite_user_set_hash(jotd_sqlite *s, const char *id, const char *password_hash)
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

/* ---- Keys ------------------------------------------------------------- */

jotd_store_rc jotd_sqlite_key_insert(jotd_sqlite *s, const jotd_key_row *k)
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

jotd_store_rc jotd_sqlite_key_list(jotd_sqlite *s, jotd_key_row **out, size_t *n)
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
            k->api_until = col_int(st, 5);
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

jotd_store_rc jotd_sqlite_key_delete(jotd_sqlite *s, const char *kid)
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

/* ---- Sessions --------------------------------------------------------- */

static void rollback(conn *c)
{
    run(c, S_ROLLBACK);
}

jotd_store_rc jotd_sqlite_session_create(jotd_sqlite *s, const jotd_family *f, const jotd_refresh_new *t)
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

/* ---- Sealed successors (memory) ---------------------------------------- */

static uint64_t key_hash(const char *family_id, const char *jti)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = family_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = jti; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static sealed *sealed_find(jotd_sqlite *s, const char *family_id, const char *jti)
{
    uint64_t h = key_hash(family_id, jti);
    size_t fl = strlen(family_id);
    for (sealed *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->next_hash)
        if (e->hash == h && strcmp(e->key, family_id) == 0 && strcmp(e->key + fl + 1, jti) == 0)
            return e;
    return NULL;
}

static void sealed_grow(jotd_sqlite *s)
{
    size_t nb = s->nbuckets * 2;
    sealed **b = jotd_xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (sealed *e = s->buckets[i]; e;) {
            sealed *next = e->next_hash;
            e->next_hash = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

static void sealed_drop_oldest(jotd_sqlite *s);

static void sealed_put(jotd_sqlite *s, const char *family_id, const char *jti, int64_t spent_at,
                       const jotd_successor *succ)
{
    /* A few expired entries go at each insertion, so that the purge
     * (jotd_sqlite_purge) rarely finds many: freeing thousands at once
     * would hold the store's lock for milliseconds. */
    for (int i = 0; i < 4 && s->oldest && s->oldest->until <= spent_at; i++)
        sealed_drop_oldest(s);
    if (s->nsealed >= SEALED_MAX) {
        /* Beyond the bound the grace window is not offered: a race of two
         * tabs then counts as reuse, the safe side. */
        return;
    }
    size_t fl = strlen(family_id), jl = strlen(jti);
    sealed *e = jotd_xmalloc(sizeof *e + fl + jl + 2);
    memcpy(e->key, family_id, fl + 1);
    memcpy(e->key + fl + 1, jti, jl + 1);
    e->hash = key_hash(family_id, jti);
    e->spent_at = spent_at;
    e->until = succ->sealed_until;
    e->data = jotd_xmalloc(succ->sealed_len ? succ->sealed_len : 1);
    memcpy(e->data, succ->sealed, succ->sealed_len);
    e->len = succ->sealed_len;
    memcpy(e->spent_by, succ->spent_by, sizeof e->spent_by);
    e->grace_used = 0;
    e->next_age = NULL;
    if (s->newest)
        s->newest->next_age = e;
    else
        s->oldest = e;
    s->newest = e;
    if (++s->nsealed > 2 * s->nbuckets)
        sealed_grow(s);
    sealed **bucket = &s->buckets[e->hash & (s->nbuckets - 1)];
    e->next_hash = *bucket;
    *bucket = e;
}

static void sealed_drop_oldest(jotd_sqlite *s)
{
    sealed *e = s->oldest;
    for (sealed **pp = &s->buckets[e->hash & (s->nbuckets - 1)]; *pp; pp = &(*pp)->next_hash) {
        if (*pp == e) {
            *pp = e->next_hash;
            break;
        }
    }
    s->oldest = e->next_age;
    if (!s->oldest)
        s->newest = NULL;
    s->nsealed--;
    sealed_free(e);
}

/* Forget the successors sealed before grace_end (the oldest first). */
static void sealed_purge(jotd_sqlite *s, int64_t grace_end)
{
    while (s->oldest && s->oldest->spent_at < grace_end)
        sealed_drop_oldest(s);
}

/* Run S_REFRESH_GET for (family_id, jti) into *out. */
static jotd_store_rc read_refresh(jotd_sqlite *s, conn *c, const char *family_id, const char *jti,
                                  jotd_refresh_info *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(c, S_REFRESH_GET);
    if (!st)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    bind_text(st, 1, jti);
    bind_text(st, 2, family_id);
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
        out->family_refresh_expires_at = col_int(st, 8);
        out->family_created_at = col_int(st, 9);
        out->family_expires_at = col_int(st, 10);
        out->family_revoked_at = sqlite3_column_type(st, 11) == SQLITE_NULL ? 0 : col_int(st, 11);
        col_copy(st, 12, out->user.id, sizeof out->user.id);
        col_copy(st, 13, out->user.username, sizeof out->user.username);
        col_copy(st, 14, out->user.role, sizeof out->user.role);
        out->user.created_at = col_int(st, 15);
        const char *sstate = (const char *)sqlite3_column_text(st, 16);
        out->successor_active = sstate && strcmp(sstate, "active") == 0;
        if (out->state == JOTD_REFRESH_SPENT) {
            sealed *e = sealed_find(s, out->family_id, out->jti);
            if (e) {
                out->successor_sealed = jotd_xmalloc(e->len ? e->len : 1);
                memcpy(out->successor_sealed, e->data, e->len);
                out->successor_sealed_len = e->len;
                memcpy(out->spent_by, e->spent_by, sizeof out->spent_by);
                out->grace_used = e->grace_used;
            }
        }
        ret = JOTD_STORE_OK;
    } else if (rc == SQLITE_DONE) {
        ret = JOTD_STORE_NOT_FOUND;
    } else {
        log_db(c, "refresh_get");
    }
    done(st);
    return ret;
}

jotd_store_rc jotd_sqlite_refresh_get(jotd_sqlite *s, const char *family_id, const char *jti, jotd_refresh_info *out)
{
    conn *c = acquire(s);
    if (!c) {
        memset(out, 0, sizeof *out);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = read_refresh(s, c, family_id, jti, out);
    release(s, c);
    return ret;
}

jotd_store_rc jotd_sqlite_refresh_exchange(jotd_sqlite *s, const char *family_id, const char *jti, int64_t now,
                                          jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated)
{
    *rotated = 0;
    memset(info, 0, sizeof *info);
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    if (run(c, S_BEGIN) != SQLITE_DONE) {
        log_db(c, "begin");
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
    sqlite3_stmt *st = stmt(c, S_SPEND);
    if (!st)
        goto fail;
    bind_text(st, 1, jti);
    sqlite3_bind_int64(st, 2, now);
    bind_text(st, 3, succ.row.jti);
    bind_text(st, 4, family_id);
    int rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        goto fail;
    if (sqlite3_changes(c->db) != 1) {
        /* The row read as active in this very transaction: only a broken
         * file gets here. Change nothing. */
        jotd_log("error", "store", "op", "refresh_exchange", "detail", "the compare-and-set found no active row",
                 NULL);
        rollback(c);
        release(s, c);
        return JOTD_STORE_ERROR;
    }
    st = stmt(c, S_TOKEN_INSERT);
    if (!st)
        goto fail;
    bind_text(st, 1, succ.row.jti);
    bind_text(st, 2, family_id);
    sqlite3_bind_blob(st, 3, succ.row.hash, sizeof succ.row.hash, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, succ.row.issued_at);
    sqlite3_bind_int64(st, 5, succ.row.expires_at);
    rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        goto fail;
    if (succ.touch_family) {
        st = stmt(c, S_FAMILY_TOUCH);
        if (!st)
            goto fail;
        bind_text(st, 1, family_id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, succ.row.expires_at);
        rc = sqlite3_step(st);
        done(st);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    if (run(c, S_COMMIT) != SQLITE_DONE)
        goto fail;
    /* Under the same lock as the commit: whoever reads the spent row next
     * finds its sealed successor too. */
    if (succ.sealed)
        sealed_put(s, family_id, jti, now, &succ);
    *rotated = 1;
    release(s, c);
    return JOTD_STORE_OK;
fail:
    log_db(c, "refresh_exchange");
    rollback(c);
    release(s, c);
    jotd_refresh_info_release(info);
    return JOTD_STORE_ERROR;
}

jotd_store_rc jotd_sqlite_refresh_grace(jotd_sqlite *s, const char *family_id, const char *jti, unsigned max)
{
    /* The sealed successors live in this process's memory, under the
     * connection's lock. */
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sealed *e = sealed_find(s, family_id, jti);
    jotd_store_rc ret = !e ? JOTD_STORE_NOT_FOUND : e->grace_used >= max ? JOTD_STORE_CONFLICT : JOTD_STORE_OK;
    if (ret == JOTD_STORE_OK)
        e->grace_used++;
    release(s, c);
    return ret;
}

jotd_store_rc jotd_sqlite_family_revoke(jotd_sqlite *s, const char *family_id, int64_t now, const char *reason,
                                       int64_t until)
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
    if (rc == SQLITE_DONE && changed && (st = stmt(c, S_REVOCATION_INSERT)) != NULL) {
        bind_text(st, 1, family_id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, until);
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

/* The newest number in the revocation log (0 when empty), or -1. */
static int64_t revocations_last(conn *c)
{
    sqlite3_stmt *st = stmt(c, S_REVOCATIONS_LAST);
    if (!st)
        return -1;
    int64_t last = sqlite3_step(st) == SQLITE_ROW ? col_int(st, 0) : -1;
    done(st);
    return last;
}

jotd_store_rc jotd_sqlite_revocations(jotd_sqlite *s, int64_t *cursor, int64_t now, jotd_revocation_fn cb, void *ctx)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    /* The newest number first: rows that are no longer in force are
     * skipped, but the cursor still moves past them. */
    int64_t last = revocations_last(c);
    sqlite3_stmt *st = last >= 0 ? stmt(c, S_REVOCATIONS) : NULL;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        sqlite3_bind_int64(st, 1, *cursor);
        sqlite3_bind_int64(st, 2, now);
        int rc;
        int64_t seen = *cursor;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *kind = (const char *)sqlite3_column_text(st, 1);
            const char *id = (const char *)sqlite3_column_text(st, 2);
            seen = col_int(st, 0);
            if (kind && id)
                cb(strcmp(kind, "api") == 0 ? JOTD_REVOKED_API : JOTD_REVOKED_FAMILY, id, col_int(st, 3),
                   col_int(st, 4), ctx);
        }
        if (rc == SQLITE_DONE) {
            ret = JOTD_STORE_OK;
            *cursor = seen > last ? seen : last;
        } else {
            log_db(c, "revocations");
        }
        done(st);
    } else {
        log_db(c, "revocations");
    }
    release(s, c);
    return ret;
}

/* Delete in batches of 256 with statement id (one parameter), each batch
 * its own short transaction, so that refreshes are not held up behind one
 * long delete. */
static jotd_store_rc purge_batches(jotd_sqlite *s, enum stmt_id id, int64_t before)
{
    for (;;) {
        conn *c = acquire(s);
        if (!c)
            return JOTD_STORE_ERROR;
        sqlite3_stmt *st = stmt(c, id);
        int rc = SQLITE_ERROR, n = 0;
        if (st) {
            sqlite3_bind_int64(st, 1, before);
            rc = sqlite3_step(st);
            n = sqlite3_changes(c->db);
            done(st);
        }
        if (rc != SQLITE_DONE)
            log_db(c, "purge");
        release(s, c);
        if (rc != SQLITE_DONE)
            return JOTD_STORE_ERROR;
        if (n < 256)
            return JOTD_STORE_OK;
    }
}

jotd_store_rc jotd_sqlite_purge(jotd_sqlite *s, int64_t grace_end, int64_t dead_before)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sealed_purge(s, grace_end);
    release(s, c);
    jotd_store_rc rc = purge_batches(s, S_PURGE_FAMILIES, dead_before);
    return rc == JOTD_STORE_OK ? purge_batches(s, S_PURGE_REVOCATIONS, dead_before) : rc;
}

/* ---- API tokens and the sessions list --------------------------------- */

/* An integer column that may be NULL (0 then). */
static int64_t col_int0(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : col_int(st, i);
}

static void api_row(sqlite3_stmt *st, jotd_api_token *t)
{
    memset(t, 0, sizeof *t);
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

static void session_row(sqlite3_stmt *st, jotd_session *x)
{
    memset(x, 0, sizeof *x);
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

jotd_store_rc jotd_sqlite_api_token_insert(jotd_sqlite *s, const jotd_api_token *t)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_API_INSERT);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, t->id);
        bind_text(st, 2, t->user_id);
        bind_text(st, 3, t->name);
        bind_text(st, 4, t->scopes);
        sqlite3_bind_blob(st, 5, t->hash, sizeof t->hash, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, t->created_at);
        sqlite3_bind_int64(st, 7, t->expires_at);
        if (t->kid[0])
            bind_text(st, 8, t->kid);
        else
            sqlite3_bind_null(st, 8);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            ret = JOTD_STORE_OK;
        else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            ret = JOTD_STORE_EXISTS;
        else
            log_db(c, "api_token_insert");
        done(st);
    }
    release(s, c);
    return ret;
}

/* Run a one-row SELECT by one text key; fill(st, out) reads the row. */
static jotd_store_rc select_one(jotd_sqlite *s, enum stmt_id id, const char *key, void (*fill)(sqlite3_stmt *, void *),
                                void *out, const char *what)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, id);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, key);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            fill(st, out);
            ret = JOTD_STORE_OK;
        } else if (rc == SQLITE_DONE) {
            ret = JOTD_STORE_NOT_FOUND;
        } else {
            log_db(c, what);
        }
        done(st);
    }
    release(s, c);
    return ret;
}

static void fill_api(sqlite3_stmt *st, void *out)
{
    api_row(st, out);
}

static void fill_session(sqlite3_stmt *st, void *out)
{
    session_row(st, out);
}

jotd_store_rc jotd_sqlite_api_token_get(jotd_sqlite *s, const char *id, jotd_api_token *out)
{
    memset(out, 0, sizeof *out);
    return select_one(s, S_API_GET, id, fill_api, out, "api_token_get");
}

jotd_store_rc jotd_sqlite_session_get(jotd_sqlite *s, const char *id, jotd_session *out)
{
    memset(out, 0, sizeof *out);
    return select_one(s, S_SESSION_GET, id, fill_session, out, "session_get");
}

/* The rows of a listing of one user's things (?1 user_id, ?2 now when
 * now >= 0), each read by row into an array of size-byte elements. */
static jotd_store_rc list_rows(jotd_sqlite *s, enum stmt_id id, const char *user_id, int64_t now,
                               void (*row)(sqlite3_stmt *st, void *out), size_t size, void **out, size_t *n,
                               const char *what)
{
    *out = NULL;
    *n = 0;
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, id);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    char *rows = NULL;
    size_t count = 0;
    if (st) {
        bind_text(st, 1, user_id);
        if (now >= 0)
            sqlite3_bind_int64(st, 2, now);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows = jotd_xrealloc(rows, (count + 1) * size);
            row(st, rows + count++ * size);
        }
        if (rc == SQLITE_DONE) {
            ret = JOTD_STORE_OK;
        } else {
            log_db(c, what);
            free(rows);
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

static void api_row_any(sqlite3_stmt *st, void *out)
{
    api_row(st, out);
}

static void session_row_any(sqlite3_stmt *st, void *out)
{
    session_row(st, out);
}

jotd_store_rc jotd_sqlite_api_token_list(jotd_sqlite *s, const char *user_id, jotd_api_token **out, size_t *n)
{
    void *rows;
    jotd_store_rc rc = list_rows(s, S_API_LIST, user_id, -1, api_row_any, sizeof **out, &rows, n, "api_token_list");
    *out = rows;
    return rc;
}

jotd_store_rc jotd_sqlite_session_list(jotd_sqlite *s, const char *user_id, int64_t now, jotd_session **out,
                                      size_t *n)
{
    void *rows;
    jotd_store_rc rc = list_rows(s, S_SESSION_LIST, user_id, now, session_row_any, sizeof **out, &rows, n,
                                 "session_list");
    *out = rows;
    return rc;
}

jotd_store_rc jotd_sqlite_api_token_revoke(jotd_sqlite *s, const char *user_id, const char *id, int64_t now)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_API_REVOKE);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, id);
        bind_text(st, 2, user_id);
        sqlite3_bind_int64(st, 3, now);
        if (sqlite3_step(st) == SQLITE_DONE)
            ret = sqlite3_changes(c->db) == 1 ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
        else
            log_db(c, "api_token_revoke");
        done(st);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_sqlite_api_token_touch(jotd_sqlite *s, const char *id, int64_t when)
{
    conn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    sqlite3_stmt *st = stmt(c, S_API_TOUCH);
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (st) {
        bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, when);
        if (sqlite3_step(st) == SQLITE_DONE)
            ret = sqlite3_changes(c->db) == 1 ? JOTD_STORE_OK : JOTD_STORE_NOT_FOUND;
        else
            log_db(c, "api_token_touch");
        done(st);
    }
    release(s, c);
    return ret;
}

jotd_store_rc jotd_sqlite_api_token_purge(jotd_sqlite *s, int64_t dead_before)
{
    return purge_batches(s, S_API_PURGE, dead_before);
}
