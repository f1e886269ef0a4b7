/*
 * server/store/pg.c - the store on PostgreSQL, through libpq: the backend
 * jotd_store_pg (backend.h; each operation does what store.h says of it),
 * for a location postgresql://... or postgres://... (a libpq connection
 * URI).
 *
 * A pool of connections (POOL_SIZE), opened as they are first needed, each
 * with its own prepared statements (prepared on first use on that
 * connection). A thread takes a connection for one call, and hands it back
 * outside any transaction. A connection that broke (the server restarted,
 * the network failed) is closed when it is handed back or when it is next
 * taken, and a new one is opened in its place: jotd needs no restart when
 * the database comes back. While the database cannot be reached, each call
 * answers JOTD_STORE_ERROR at once (the handlers turn that into 503), and
 * the failure is logged at most once a second.
 *
 * Several jotd may share the database, so everything that makes a refresh
 * token valid is in it, the sealed grace-window successor included (the
 * SQLite backend keeps that one in memory), and the refresh exchange is
 * safe across processes: it locks the family's row first (every writer of a
 * family's tokens does, in the same order: family, then tokens), reads the
 * token afresh under that lock, and spends it with an UPDATE that names
 * state = 'active', inserting the successor in the same statement only
 * when that UPDATE changed a row (the count is checked).
 *
 * Parameters go as text, byte strings as binary; every result comes in
 * binary format (bigint as 8 bytes big-endian, text as its bytes), which
 * spares the decoding of bytea's hex text.
 *
 * Every statement goes through run() (on the connection the caller holds,
 * inside a transaction or not) or run1() (a call of its own); the
 * transactions (session_create, refresh_exchange, family_revoke) are
 * written out, BEGIN to COMMIT.
 *
 * The location is a libpq connection URI and may hold a password: it is
 * never logged, and error messages are libpq's, which do not repeat it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "backend.h"
#include "pg_schema.h"
#include "base/mem.h"
#include "base/clock.h"
#include "base/log.h"

#define POOL_SIZE 8
/* How long a call waits for a free connection before it gives up. */
#define ACQUIRE_WAIT_SECONDS 10
/* Serialises migrations of several jotd starting at once ("jotd"). */
#define MIGRATE_LOCK "1785688932"

enum stmt_id {
    P_PING,
    P_SCHEMA_VERSION,
    P_USER_INSERT,
    P_USER_FIND,
    P_USER_GET,
    P_USER_SET_HASH,
    P_KEY_INSERT,
    P_KEY_LIST,
    P_KEY_DELETE,
    P_FAMILY_INSERT,
    P_TOKEN_INSERT,
    P_FAMILY_LOCK,
    P_REFRESH_GET,
    P_ROTATE,
    P_GRACE,
    P_FAMILY_REVOKE,
    P_TOKENS_REVOKE,
    P_REVOCATION_INSERT,
    P_REVOCATIONS,
    P_REVOCATIONS_LAST,
    P_PURGE_SEALED,
    P_PURGE_FAMILIES,
    P_PURGE_REVOCATIONS,
    P_API_INSERT,
    P_API_GET,
    P_API_LIST,
    P_API_REVOKE,
    P_API_TOUCH,
    P_API_PURGE,
    P_SESSION_LIST,
    P_SESSION_GET,
    P_COUNT
};

#define API_COLUMNS "id, user_id, name, scopes, token_hash, created_at, expires_at, revoked_at, last_used_at, kid"
#define SESSION_COLUMNS                                                                                          \
    "id, user_id, created_at, expires_at, client_addr, user_agent, last_used_at, refresh_expires_at, revoked_at"

static const char *const sql_text[P_COUNT] = {
    [P_PING] = "SELECT 1::bigint",
    [P_SCHEMA_VERSION] = "SELECT version::bigint FROM jotd_schema",
    [P_USER_INSERT] = "INSERT INTO users (id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
    [P_USER_FIND] = "SELECT id, username, role, password_hash, created_at FROM users "
                    "WHERE lower(username COLLATE \"C\") = lower($1::text COLLATE \"C\")",
    [P_USER_GET] = "SELECT id, username, role, password_hash, created_at FROM users WHERE id = $1",
    [P_USER_SET_HASH] = "UPDATE users SET password_hash = $2 WHERE id = $1",
    [P_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, sealed, created_at, activate_at) VALUES ($1, $2, $3, $4, $5)",
    /* With the latest expiry of the live API tokens each key signed. */
    [P_KEY_LIST] = "SELECT kid, alg, sealed, created_at, activate_at, coalesce("
                   "(SELECT max(expires_at) FROM api_tokens a WHERE a.kid = k.kid AND revoked_at IS NULL), 0) "
                   "FROM signing_keys k ORDER BY activate_at, seq",
    [P_KEY_DELETE] = "DELETE FROM signing_keys WHERE kid = $1",
    [P_FAMILY_INSERT] = "INSERT INTO families (id, user_id, created_at, expires_at, refresh_expires_at, "
                        "last_used_at, client_addr, user_agent) VALUES ($1, $2, $3, $4, $5, $3, $6, $7)",
    [P_TOKEN_INSERT] = "INSERT INTO refresh_tokens (jti, family_id, token_hash, state, issued_at, expires_at) "
                       "VALUES ($1, $2, $3, 'active', $4, $5)",
    /* The exchange's first step: whoever else writes this family's tokens
     * waits until the exchange commits. */
    [P_FAMILY_LOCK] = "SELECT 1::bigint FROM families WHERE id = $1 FOR NO KEY UPDATE",
    [P_REFRESH_GET] =
        "SELECT t.jti, t.family_id, t.token_hash, t.state, t.issued_at, t.expires_at, t.spent_at, "
        "t.successor_jti, f.refresh_expires_at, f.created_at, f.expires_at, f.revoked_at, "
        "u.id, u.username, u.role, u.created_at, s.state, t.successor_sealed, t.spent_by, t.grace_used::bigint "
        "FROM refresh_tokens t JOIN families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id "
        "LEFT JOIN refresh_tokens s ON s.family_id = t.family_id AND s.jti = t.successor_jti "
        "WHERE t.family_id = $1 AND t.jti = $2",
    /* The exchange's writes in one statement (one round trip): the
     * compare-and-set spends the token only while it is active, and only
     * then is its successor inserted and the family touched ($9). The
     * answer is the number of successors inserted, 1 or 0. */
    [P_ROTATE] = "WITH spent AS (UPDATE refresh_tokens SET state = 'spent', spent_at = $3, successor_jti = $4, "
                 "successor_sealed = $5, spent_by = $10 "
                 "WHERE family_id = $1 AND jti = $2 AND state = 'active' RETURNING family_id), "
                 "fresh AS (INSERT INTO refresh_tokens (jti, family_id, token_hash, state, issued_at, expires_at) "
                 "SELECT $4, family_id, $6, 'active', $7, $8 FROM spent RETURNING jti), "
                 "touched AS (UPDATE families SET last_used_at = $3, "
                 "refresh_expires_at = greatest(refresh_expires_at, $8) "
                 "WHERE id = $1 AND $9::boolean AND EXISTS (SELECT 1 FROM spent) RETURNING id) "
                 "SELECT count(*) FROM fresh",
    /* Under the row's lock: two instances cannot both give the last one. */
    [P_GRACE] = "UPDATE refresh_tokens SET grace_used = grace_used + 1 WHERE family_id = $1 AND jti = $2 "
                "AND state = 'spent' RETURNING grace_used::bigint",
    [P_FAMILY_REVOKE] = "UPDATE families SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
    [P_TOKENS_REVOKE] = "UPDATE refresh_tokens SET state = 'revoked' WHERE family_id = $1 AND state = 'active'",
    /* seq: the trigger of schema 2 numbers it, in commit order. */
    [P_REVOCATION_INSERT] = "INSERT INTO revocations (seq, kind, id, revoked_at, ends_at) "
                            "VALUES (0, 'family', $1, $2, $3)",
    [P_REVOCATIONS] = "SELECT seq, kind, id, revoked_at, ends_at FROM revocations WHERE seq > $1 AND ends_at > $2 "
                      "ORDER BY seq",
    [P_REVOCATIONS_LAST] = "SELECT coalesce(max(seq), 0)::bigint FROM revocations",
    [P_PURGE_SEALED] = "UPDATE refresh_tokens SET successor_sealed = NULL, spent_by = NULL "
                       "WHERE successor_sealed IS NOT NULL AND spent_at < $1",
    /* In batches, so that no transaction holds many rows for long. */
    [P_PURGE_FAMILIES] = "DELETE FROM families WHERE id IN (SELECT id FROM families "
                         "WHERE expires_at < $1 OR refresh_expires_at < $1 LIMIT 256)",
    [P_PURGE_REVOCATIONS] = "DELETE FROM revocations WHERE seq IN (SELECT seq FROM revocations WHERE ends_at < $1 "
                            "LIMIT 256)",
    [P_API_INSERT] = "INSERT INTO api_tokens (id, user_id, name, scopes, token_hash, created_at, expires_at, kid) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''))",
    [P_API_GET] = "SELECT " API_COLUMNS " FROM api_tokens WHERE id = $1",
    [P_API_LIST] = "SELECT " API_COLUMNS " FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id COLLATE \"C\"",
    /* The first revocation time stays; the first revocation alone goes to
     * the log (the trigger of schema 2). */
    [P_API_REVOKE] = "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND user_id = $2",
    [P_API_TOUCH] = "UPDATE api_tokens SET last_used_at = greatest(coalesce(last_used_at, 0), $2) WHERE id = $1",
    [P_API_PURGE] = "DELETE FROM api_tokens WHERE id IN (SELECT id FROM api_tokens WHERE expires_at < $1 LIMIT 256)",
    [P_SESSION_LIST] = "SELECT " SESSION_COLUMNS " FROM families WHERE user_id = $1 AND revoked_at IS NULL "
                       "AND expires_at > $2 AND refresh_expires_at > $2 "
                       "ORDER BY last_used_at DESC, created_at DESC, id COLLATE \"C\" "
                       "LIMIT " JOTD_STR(JOTD_SESSION_LIST_MAX),
    [P_SESSION_GET] = "SELECT " SESSION_COLUMNS " FROM families WHERE id = $1",
};

typedef struct pgconn {
    PGconn *pg; /* NULL until opened, or after it broke */
    int busy;
    unsigned char prepared[P_COUNT];
} pgconn;

typedef struct jotd_pg {
    char *uri; /* may hold a password: never logged */
    pthread_mutex_t lock;
    pthread_cond_t freed;
    pgconn conns[POOL_SIZE];
    _Atomic int64_t last_connect_log;
    /* The revocation watcher (jotd_pg_watch_revocations). */
    pthread_t watcher;
    int watching;
    atomic_int watch_stop;
    void (*watch_fn)(void *ctx);
    void *watch_ctx;
} jotd_pg;

/* ---- Errors ------------------------------------------------------------ */

/* libpq's message on one line, without its trailing newline. */
static void one_line(const char *msg, char *out, size_t n)
{
    snprintf(out, n, "%s", msg ? msg : "");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t len = strlen(out);
    while (len && out[len - 1] == ' ')
        out[--len] = '\0';
}

static void log_msg(const char *what, const char *msg)
{
    char line[512];
    one_line(msg, line, sizeof line);
    jotd_log("error", "store", "op", what, "detail", line, NULL);
}

static void log_conn(pgconn *c, const char *what)
{
    log_msg(what, c->pg ? PQerrorMessage(c->pg) : "no connection");
}

static void log_result(const PGresult *r, pgconn *c, const char *what)
{
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    if (m && *m)
        log_msg(what, m);
    else
        log_conn(c, what);
}

/* ---- Connections and the pool ------------------------------------------ */

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Open a connection; NULL with libpq's reason in err. */
static PGconn *connect_db(const char *uri, const char *app, char *err, size_t errlen)
{
    /* dbname comes last, so that what the URI says wins over these
     * defaults (libpq reads the keywords in order). The timeouts bound
     * what a vanished server (no reset, no answer) can hold a request up:
     * a connection attempt, unacknowledged data, an idle connection. */
    const char *const keys[] = {"connect_timeout",  "tcp_user_timeout",    "keepalives_idle", "keepalives_interval",
                                "keepalives_count", "application_name", "dbname",          NULL};
    const char *const vals[] = {"5", "10000", "30", "10", "3", app, uri, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        one_line(PQerrorMessage(pg), err, errlen);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, ignore_notice, NULL);
    /* No DETAIL lines ("Failing row contains (...)" would log the row). */
    PQsetErrorVerbosity(pg, PQERRORS_TERSE);
    return pg;
}

/* Whether an idle connection still works: a server that stopped or
 * restarted has sent its goodbye (or closed the socket) meanwhile, which
 * shows as something to read. */
static int conn_alive(PGconn *pg)
{
    if (PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE)
        return 0;
    struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
    if (p.fd < 0)
        return 0;
    /* The goodbye and the end of the stream may take two reads: the first
     * returns the message, only the next one sees the end. */
    for (int i = 0; i < 4 && poll(&p, 1, 0) > 0; i++) {
        if (!PQconsumeInput(pg))
            return 0;
        PGnotify *n;
        while ((n = PQnotifies(pg)) != NULL)
            PQfreemem(n);
        if (PQstatus(pg) != CONNECTION_OK)
            return 0;
    }
    return 1;
}

static void conn_drop(pgconn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    memset(c->prepared, 0, sizeof c->prepared);
}

/* A connection for the calling thread alone until release; NULL when none
 * can be had (logged). */
static pgconn *acquire(jotd_pg *s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ACQUIRE_WAIT_SECONDS;
    pthread_mutex_lock(&s->lock);
    pgconn *c = NULL;
    for (;;) {
        /* An open connection first; a closed slot otherwise. */
        for (int i = 0; i < POOL_SIZE && !c; i++)
            if (!s->conns[i].busy && s->conns[i].pg)
                c = &s->conns[i];
        for (int i = 0; i < POOL_SIZE && !c; i++)
            if (!s->conns[i].busy)
                c = &s->conns[i];
        if (c)
            break;
        if (pthread_cond_timedwait(&s->freed, &s->lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&s->lock);
            log_msg("acquire", "every connection of the pool stayed busy");
            return NULL;
        }
    }
    c->busy = 1;
    pthread_mutex_unlock(&s->lock);
    if (c->pg && !conn_alive(c->pg))
        conn_drop(c);
    if (!c->pg) {
        char err[512];
        c->pg = connect_db(s->uri, "jotd", err, sizeof err);
        if (!c->pg) {
            /* Once a second at most: while the database is away, every
             * request would add a line. */
            int64_t now = jotd_now(), last = atomic_load(&s->last_connect_log);
            if (now != last && atomic_compare_exchange_strong(&s->last_connect_log, &last, now))
                log_msg("connect", err);
            pthread_mutex_lock(&s->lock);
            c->busy = 0;
            pthread_cond_signal(&s->freed);
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
    }
    return c;
}

static void release(jotd_pg *s, pgconn *c)
{
    if (!c)
        return;
    /* Handed on outside any transaction; one that cannot be ended, or a
     * connection that broke, is closed, and the next user opens another. */
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        PQclear(r);
    }
    if (c->pg && (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE))
        conn_drop(c);
    pthread_mutex_lock(&s->lock);
    c->busy = 0;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

/* ---- Statements -------------------------------------------------------- */

#define MAX_PARAMS 12

/* Run a prepared statement (preparing it on this connection the first
 * time); the result, or NULL when it could not even be sent. Integers go
 * as decimal text, bytes in binary. */
static PGresult *exec(pgconn *c, enum stmt_id id, const jotd_store_arg *args, size_t nargs)
{
    if (nargs > MAX_PARAMS) {
        log_msg("exec", "too many parameters");
        return NULL;
    }
    char name[16];
    snprintf(name, sizeof name, "jotd_%d", (int)id);
    if (!c->prepared[id]) {
        PGresult *r = PQprepare(c->pg, name, sql_text[id], 0, NULL);
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            log_result(r, c, "prepare");
        PQclear(r);
        if (!ok)
            return NULL;
        c->prepared[id] = 1;
    }
    const char *v[MAX_PARAMS];
    int len[MAX_PARAMS], fmt[MAX_PARAMS];
    char num[MAX_PARAMS][24];
    for (size_t i = 0; i < nargs; i++) {
        v[i] = args[i].p;
        len[i] = 0;
        fmt[i] = 0;
        if (args[i].type == JOTD_ARG_INT) {
            snprintf(num[i], sizeof num[i], "%lld", (long long)args[i].i);
            v[i] = num[i];
        } else if (args[i].type == JOTD_ARG_BYTES) {
            len[i] = (int)args[i].len;
            fmt[i] = 1;
        }
    }
    return PQexecPrepared(c->pg, name, (int)nargs, nargs ? v : NULL, nargs ? len : NULL, nargs ? fmt : NULL, 1);
}

static int cmd_ok(const PGresult *r)
{
    return r && PQresultStatus(r) == PGRES_COMMAND_OK;
}

static int rows_ok(const PGresult *r)
{
    return r && PQresultStatus(r) == PGRES_TUPLES_OK;
}

static long changed(const PGresult *r)
{
    return strtol(PQcmdTuples((PGresult *)r), NULL, 10);
}

static int is_unique_violation(const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return state && strcmp(state, "23505") == 0;
}

/* A statement without parameters or rows (BEGIN, COMMIT...). */
static int simple(pgconn *c, const char *sql, const char *tag)
{
    PGresult *r = PQexec(c->pg, sql);
    /* A COMMIT of a failed transaction "succeeds" as a ROLLBACK. */
    int ok = cmd_ok(r) && strcmp(PQcmdStatus(r), tag) == 0;
    if (!ok)
        log_result(r, c, sql);
    PQclear(r);
    return ok;
}

static int begin(pgconn *c)
{
    return simple(c, "BEGIN", "BEGIN");
}

static int commit(pgconn *c)
{
    return simple(c, "COMMIT", "COMMIT");
}

static void rollback(pgconn *c)
{
    PGresult *r = PQexec(c->pg, "ROLLBACK");
    PQclear(r);
}

static void col_copy(const PGresult *r, int row, int col, char *out, size_t n)
{
    size_t len = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
    if (len >= n)
        len = n - 1;
    memcpy(out, PQgetvalue(r, row, col), len);
    out[len] = '\0';
}

/* A bigint (binary: 8 bytes, big-endian); 0 for NULL. */
static int64_t col_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
    int len = PQgetlength(r, row, col);
    uint64_t v = 0;
    for (int i = 0; i < len && i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

/* A byte string copied to the heap (never NULL); the result's own copy is
 * wiped, for it may be a secret. */
static uint8_t *col_bytes(const PGresult *r, int row, int col, size_t *n)
{
    size_t len = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
    uint8_t *b = jotd_xmalloc(len ? len : 1);
    char *v = PQgetvalue(r, row, col);
    memcpy(b, v, len);
    jot_wipe(v, len);
    *n = len;
    return b;
}

/* Reads row i of a statement's result into ctx. */
typedef void (*row_fn)(const PGresult *r, int i, void *ctx);

/* What came of a statement, read as want says; a failure is logged as
 * what. For a statement without rows, ctx (unless NULL) is a long that
 * receives the number of rows it changed. */
static jotd_store_rc outcome(pgconn *c, const PGresult *r, row_fn row, void *ctx, jotd_store_want want,
                             const char *what)
{
    if (rows_ok(r))
        return want == W_ONE && PQntuples(r) == 0 ? JOTD_STORE_NOT_FOUND : JOTD_STORE_OK;
    if (cmd_ok(r)) {
        long n = changed(r);
        if (!row && ctx)
            *(long *)ctx = n;
        return want == W_CHANGE && n == 0 ? JOTD_STORE_NOT_FOUND : JOTD_STORE_OK;
    }
    if (want == W_INSERT && is_unique_violation(r))
        return JOTD_STORE_EXISTS;
    log_result(r, c, what);
    return JOTD_STORE_ERROR;
}

/* Each row of r to row(r, i, ctx) (only the first with W_ONE). */
static void read_rows(const PGresult *r, row_fn row, void *ctx, jotd_store_want want)
{
    int n = row && rows_ok(r) ? PQntuples(r) : 0;
    for (int i = 0; i < n && (i == 0 || want != W_ONE); i++)
        row(r, i, ctx);
}

/* Run statement id with args on c, which the caller holds (inside a
 * transaction or not), and read its outcome as want says: each row it
 * returns goes to row(r, i, ctx) (only the first with W_ONE); for a
 * statement without rows, ctx (unless NULL) is a long that receives the
 * number of rows it changed. A failure is logged as what. */
static jotd_store_rc run(pgconn *c, enum stmt_id id, const jotd_store_arg *args, size_t nargs, row_fn row, void *ctx,
                         jotd_store_want want, const char *what)
{
    PGresult *r = exec(c, id, args, nargs);
    jotd_store_rc ret = outcome(c, r, row, ctx, want, what);
    if (ret == JOTD_STORE_OK)
        read_rows(r, row, ctx, want);
    PQclear(r);
    return ret;
}

/* run() as a call of its own: a connection is taken, and handed back
 * before the rows are read. */
static jotd_store_rc run1(jotd_pg *s, enum stmt_id id, const jotd_store_arg *args, size_t nargs, row_fn row,
                          void *ctx, jotd_store_want want, const char *what)
{
    pgconn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    PGresult *r = exec(c, id, args, nargs);
    jotd_store_rc ret = outcome(c, r, row, ctx, want, what);
    release(s, c);
    if (ret == JOTD_STORE_OK)
        read_rows(r, row, ctx, want);
    PQclear(r);
    return ret;
}

static void int_row(const PGresult *r, int i, void *out)
{
    *(int64_t *)out = col_int(r, i, 0);
}

/* The rows of a listing, each read by fill into a new element of rows. */
typedef struct listing {
    jotd_rows rows;
    row_fn fill;
} listing;

static void listing_row(const PGresult *r, int i, void *ctx)
{
    listing *l = ctx;
    l->fill(r, i, jotd_rows_add(&l->rows));
}

/* ---- Opening and migrating -------------------------------------------- */

static int jotd_pg_accepts(const char *location)
{
    return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

static int read_version(pgconn *c)
{
    int64_t v = -1;
    run(c, P_SCHEMA_VERSION, NO_ARGS, int_row, &v, W_ONE, "schema_version");
    return (int)v;
}

static int migrate_fail(pgconn *c, PGresult *r, char *err, size_t errlen, const char *what)
{
    char line[384];
    one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), line, sizeof line);
    snprintf(err, errlen, "%s: %s", what, line);
    PQclear(r);
    rollback(c);
    return -1;
}

static int migrate(pgconn *c, char *err, size_t errlen)
{
    PGresult *r = PQexec(c->pg, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ");"
                                "CREATE TABLE IF NOT EXISTS jotd_schema (version integer NOT NULL);"
                                "INSERT INTO jotd_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM jotd_schema)");
    if (!cmd_ok(r))
        return migrate_fail(c, r, err, errlen, "cannot lock the store's schema");
    PQclear(r);
    int v = read_version(c);
    if (v < 0 || v > JOTD_PG_SCHEMA_LATEST) {
        rollback(c);
        snprintf(err, errlen, "the store's schema version %d is newer than this jotd knows (%d)", v,
                 JOTD_PG_SCHEMA_LATEST);
        return -1;
    }
    for (; v < JOTD_PG_SCHEMA_LATEST; v++) {
        r = PQexec(c->pg, jotd_pg_migrations[v]);
        if (!cmd_ok(r)) {
            char what[48];
            snprintf(what, sizeof what, "migration %d failed", v + 1);
            return migrate_fail(c, r, err, errlen, what);
        }
        PQclear(r);
        char sql[64];
        snprintf(sql, sizeof sql, "UPDATE jotd_schema SET version = %d", v + 1);
        r = PQexec(c->pg, sql);
        if (!cmd_ok(r))
            return migrate_fail(c, r, err, errlen, "cannot record the schema version");
        PQclear(r);
    }
    r = PQexec(c->pg, "COMMIT");
    if (!cmd_ok(r) || strcmp(PQcmdStatus(r), "COMMIT") != 0)
        return migrate_fail(c, r, err, errlen, "cannot commit the schema");
    PQclear(r);
    return 0;
}

static void jotd_pg_close(void *h);
static void jotd_pg_watch_revocations(void *h, void (*fn)(void *ctx), void *ctx);

static jotd_store_rc jotd_pg_open(const char *location, void **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!PQisthreadsafe()) {
        snprintf(err, errlen, "this libpq is built without thread support");
        return JOTD_STORE_ERROR;
    }
    /* libpq's message about a URI it cannot parse quotes the URI, password
     * and all: say it in our words instead. */
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(location, &msg);
    if (!opts) {
        if (msg)
            PQfreemem(msg);
        snprintf(err, errlen, "store: not a valid postgresql:// URI (see libpq's connection URIs)");
        return JOTD_STORE_ERROR;
    }
    PQconninfoFree(opts);
    char why[384];
    PGconn *pg = connect_db(location, "jotd", why, sizeof why);
    if (!pg) {
        snprintf(err, errlen, "cannot connect to the PostgreSQL store: %s", why);
        return JOTD_STORE_ERROR;
    }
    jotd_pg *s = jotd_xcalloc(1, sizeof *s);
    s->uri = jotd_xstrdup(location);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    s->conns[0].pg = pg;
    if (migrate(&s->conns[0], err, errlen) != 0) {
        jotd_pg_close(s);
        return JOTD_STORE_ERROR;
    }
    *out = s;
    return JOTD_STORE_OK;
}

static void jotd_pg_close(void *h)
{
    jotd_pg *s = h;
    if (!s)
        return;
    jotd_pg_watch_revocations(s, NULL, NULL);
    for (int i = 0; i < POOL_SIZE; i++)
        conn_drop(&s->conns[i]);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->lock);
    jotd_free_secret(s->uri);
    free(s);
}

static int jotd_pg_schema_version(void *h)
{
    jotd_pg *s = h;
    pgconn *c = acquire(s);
    if (!c)
        return -1;
    int v = read_version(c);
    release(s, c);
    return v;
}

static jotd_store_rc jotd_pg_ping(void *h)
{
    return run1(h, P_PING, NO_ARGS, NULL, NULL, W_ONE, "ping") == JOTD_STORE_OK ? JOTD_STORE_OK : JOTD_STORE_ERROR;
}

/* ---- Users ------------------------------------------------------------ */

static jotd_store_rc jotd_pg_user_insert(void *h, const jotd_user *u)
{
    return run1(h, P_USER_INSERT,
                ARGS(arg_text(u->id), arg_text(u->username), arg_text(u->password_hash), arg_text(u->role),
                     arg_int(u->created_at)),
                NULL, NULL, W_INSERT, "user_insert");
}

static void user_row(const PGresult *r, int i, void *out)
{
    jotd_user *u = out;
    col_copy(r, i, 0, u->id, sizeof u->id);
    col_copy(r, i, 1, u->username, sizeof u->username);
    col_copy(r, i, 2, u->role, sizeof u->role);
    size_t n;
    uint8_t *hash = col_bytes(r, i, 3, &n);
    u->password_hash = jotd_xstrndup((const char *)hash, n);
    jot_wipe(hash, n);
    free(hash);
    u->created_at = col_int(r, i, 4);
}

static jotd_store_rc jotd_pg_user_find(void *h, const char *username, jotd_user *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, P_USER_FIND, ARGS(arg_text(username)), user_row, out, W_ONE, "user_select");
}

static jotd_store_rc jotd_pg_user_get(void *h, const char *id, jotd_user *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, P_USER_GET, ARGS(arg_text(id)), user_row, out, W_ONE, "user_select");
}

static jotd_store_rc jotd_pg_user_set_hash(void *h, const char *id, const char *password_hash)
{
    return run1(h, P_USER_SET_HASH, ARGS(arg_text(id), arg_text(password_hash)), NULL, NULL, W_CHANGE,
                "user_set_hash");
}

/* ---- Keys ------------------------------------------------------------- */

static jotd_store_rc jotd_pg_key_insert(void *h, const jotd_key_row *k)
{
    return run1(h, P_KEY_INSERT,
                ARGS(arg_text(k->kid), arg_text(k->alg), arg_bytes(k->sealed, k->sealed_len), arg_int(k->created_at),
                     arg_int(k->activate_at)),
                NULL, NULL, W_INSERT, "key_insert");
}

static void key_row(const PGresult *r, int i, void *out)
{
    jotd_key_row *k = out;
    col_copy(r, i, 0, k->kid, sizeof k->kid);
    col_copy(r, i, 1, k->alg, sizeof k->alg);
    k->sealed = col_bytes(r, i, 2, &k->sealed_len);
    k->created_at = col_int(r, i, 3);
    k->activate_at = col_int(r, i, 4);
    k->api_until = col_int(r, i, 5);
}

static jotd_store_rc jotd_pg_key_list(void *h, jotd_key_row **out, size_t *n)
{
    listing l = {.rows = {.size = sizeof **out, .drop = jotd_key_rows_drop}, .fill = key_row};
    jotd_store_rc rc = run1(h, P_KEY_LIST, NO_ARGS, listing_row, &l, W_ROWS, "key_list");
    *out = jotd_rows_take(&l.rows, rc, n);
    return rc;
}

static jotd_store_rc jotd_pg_key_delete(void *h, const char *kid)
{
    return run1(h, P_KEY_DELETE, ARGS(arg_text(kid)), NULL, NULL, W_CHANGE, "key_delete");
}

/* ---- Sessions --------------------------------------------------------- */

static jotd_store_rc jotd_pg_session_create(void *h, const jotd_family *f, const jotd_refresh_new *t)
{
    jotd_pg *s = h;
    pgconn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (begin(c)) {
        if (run(c, P_FAMILY_INSERT,
                ARGS(arg_text(f->id), arg_text(f->user_id), arg_int(f->created_at), arg_int(f->expires_at),
                     arg_int(t->expires_at), arg_text(f->client_addr), arg_text(f->user_agent)),
                NULL, NULL, W_CHANGE, "session_create") == JOTD_STORE_OK &&
            run(c, P_TOKEN_INSERT,
                ARGS(arg_text(t->jti), arg_text(f->id), arg_bytes(t->hash, sizeof t->hash), arg_int(t->issued_at),
                     arg_int(t->expires_at)),
                NULL, NULL, W_CHANGE, "session_create") == JOTD_STORE_OK &&
            commit(c))
            ret = JOTD_STORE_OK;
        else
            rollback(c);
    }
    release(s, c);
    return ret;
}

static jotd_refresh_state parse_state(const PGresult *r, int i, int col)
{
    char st[16];
    col_copy(r, i, col, st, sizeof st);
    return jotd_refresh_state_parse(st);
}

static void refresh_row(const PGresult *r, int i, void *ctx)
{
    jotd_refresh_info *out = ctx;
    col_copy(r, i, 0, out->jti, sizeof out->jti);
    col_copy(r, i, 1, out->family_id, sizeof out->family_id);
    if (PQgetlength(r, i, 2) == (int)sizeof out->hash)
        memcpy(out->hash, PQgetvalue(r, i, 2), sizeof out->hash);
    out->state = parse_state(r, i, 3);
    out->issued_at = col_int(r, i, 4);
    out->expires_at = col_int(r, i, 5);
    out->spent_at = col_int(r, i, 6);
    col_copy(r, i, 7, out->successor_jti, sizeof out->successor_jti);
    out->family_refresh_expires_at = col_int(r, i, 8);
    out->family_created_at = col_int(r, i, 9);
    out->family_expires_at = col_int(r, i, 10);
    out->family_revoked_at = col_int(r, i, 11);
    col_copy(r, i, 12, out->user.id, sizeof out->user.id);
    col_copy(r, i, 13, out->user.username, sizeof out->user.username);
    col_copy(r, i, 14, out->user.role, sizeof out->user.role);
    out->user.created_at = col_int(r, i, 15);
    out->successor_active = !PQgetisnull(r, i, 16) && parse_state(r, i, 16) == JOTD_REFRESH_ACTIVE;
    if (out->state == JOTD_REFRESH_SPENT && !PQgetisnull(r, i, 17))
        out->successor_sealed = col_bytes(r, i, 17, &out->successor_sealed_len);
    if (PQgetlength(r, i, 18) == (int)sizeof out->spent_by)
        memcpy(out->spent_by, PQgetvalue(r, i, 18), sizeof out->spent_by);
    out->grace_used = (unsigned)col_int(r, i, 19);
}

/* P_REFRESH_GET for (family_id, jti) into *out. */
static jotd_store_rc read_refresh(pgconn *c, const char *family_id, const char *jti, jotd_refresh_info *out)
{
    memset(out, 0, sizeof *out);
    return run(c, P_REFRESH_GET, ARGS(arg_text(family_id), arg_text(jti)), refresh_row, out, W_ONE, "refresh_get");
}

static jotd_store_rc jotd_pg_refresh_get(void *h, const char *family_id, const char *jti, jotd_refresh_info *out)
{
    jotd_pg *s = h;
    pgconn *c = acquire(s);
    if (!c) {
        memset(out, 0, sizeof *out);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = read_refresh(c, family_id, jti, out);
    release(s, c);
    return ret;
}

/* Spend the token, insert its successor, touch the family, and commit:
 * 0, or -1 (logged). */
static int rotate(pgconn *c, const char *family_id, const char *jti, int64_t now, const jotd_successor *succ)
{
    int64_t n = -1;
    run(c, P_ROTATE,
        ARGS(arg_text(family_id), arg_text(jti), arg_int(now), arg_text(succ->row.jti),
             arg_bytes(succ->sealed, succ->sealed ? succ->sealed_len : 0), arg_bytes(succ->row.hash, sizeof succ->row.hash),
             arg_int(succ->row.issued_at), arg_int(succ->row.expires_at), arg_text(succ->touch_family ? "true" : "false"),
             arg_bytes(succ->spent_by, sizeof succ->spent_by)),
        int_row, &n, W_ONE, "refresh_exchange");
    if (n != 1) {
        /* The row read as active under the family's lock: only a writer
         * that does not take that lock gets here. Change nothing. */
        if (n == 0)
            log_msg("refresh_exchange", "the compare-and-set found no active row");
        return -1;
    }
    return commit(c) ? 0 : -1;
}

static jotd_store_rc jotd_pg_refresh_exchange(void *h, const char *family_id, const char *jti, int64_t now,
                                              jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated)
{
    jotd_pg *s = h;
    *rotated = 0;
    memset(info, 0, sizeof *info);
    pgconn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    if (!begin(c)) {
        release(s, c);
        return JOTD_STORE_ERROR;
    }
    jotd_store_rc ret = run(c, P_FAMILY_LOCK, ARGS(arg_text(family_id)), NULL, NULL, W_ONE, "refresh_exchange");
    if (ret == JOTD_STORE_OK)
        ret = read_refresh(c, family_id, jti, info);
    jotd_successor succ;
    memset(&succ, 0, sizeof succ);
    if (ret != JOTD_STORE_OK || !fn(info, &succ, ctx)) {
        /* Nothing to write: end the transaction as it is. */
        rollback(c);
        release(s, c);
        return ret;
    }
    if (rotate(c, family_id, jti, now, &succ) != 0) {
        rollback(c);
        release(s, c);
        jotd_refresh_info_release(info);
        return JOTD_STORE_ERROR;
    }
    *rotated = 1;
    release(s, c);
    return JOTD_STORE_OK;
}

static jotd_store_rc jotd_pg_refresh_grace(void *h, const char *family_id, const char *jti, unsigned max)
{
    /* The count goes up under the row's lock, and is compared after: two
     * instances cannot both give the last answer. */
    int64_t used = 0;
    jotd_store_rc ret =
        run1(h, P_GRACE, ARGS(arg_text(family_id), arg_text(jti)), int_row, &used, W_ONE, "refresh_grace");
    if (ret != JOTD_STORE_OK)
        return ret;
    return used <= (int64_t)max ? JOTD_STORE_OK : JOTD_STORE_CONFLICT;
}

static jotd_store_rc jotd_pg_family_revoke(void *h, const char *family_id, int64_t now, const char *reason,
                                           int64_t until)
{
    jotd_pg *s = h;
    pgconn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    jotd_store_rc ret = JOTD_STORE_ERROR;
    if (begin(c)) {
        /* NOT_FOUND: unknown or revoked before. Its tokens are revoked
         * all the same, but the log has it already (or never will). */
        jotd_store_rc revoked = run(c, P_FAMILY_REVOKE, ARGS(arg_text(family_id), arg_int(now), arg_text(reason)),
                                    NULL, NULL, W_CHANGE, "family_revoke");
        if ((revoked == JOTD_STORE_OK || revoked == JOTD_STORE_NOT_FOUND) &&
            run(c, P_TOKENS_REVOKE, ARGS(arg_text(family_id)), NULL, NULL, W_DONE, "family_revoke") ==
                JOTD_STORE_OK &&
            (revoked == JOTD_STORE_NOT_FOUND ||
             run(c, P_REVOCATION_INSERT, ARGS(arg_text(family_id), arg_int(now), arg_int(until)), NULL, NULL,
                 W_CHANGE, "family_revoke") == JOTD_STORE_OK) &&
            commit(c))
            ret = revoked;
        else
            rollback(c);
    }
    release(s, c);
    return ret;
}

static void revocation_row(const PGresult *r, int i, void *ctx)
{
    char kind[16], id[64];
    col_copy(r, i, 1, kind, sizeof kind);
    col_copy(r, i, 2, id, sizeof id);
    jotd_revocation_read(ctx, col_int(r, i, 0), kind, id, col_int(r, i, 3), col_int(r, i, 4));
}

static jotd_store_rc jotd_pg_revocations(void *h, int64_t *cursor, int64_t now, jotd_revocation_fn cb, void *ctx)
{
    jotd_pg *s = h;
    pgconn *c = acquire(s);
    if (!c)
        return JOTD_STORE_ERROR;
    /* The newest number first, then the rows: numbers become visible in
     * order (the trigger's lock), so the rows read after include every
     * number up to it. Rows no longer in force are skipped, but the cursor
     * still moves past them. */
    int64_t last = -1;
    jotd_store_rc ret = run(c, P_REVOCATIONS_LAST, NO_ARGS, int_row, &last, W_ONE, "revocations");
    PGresult *r = NULL;
    if (ret == JOTD_STORE_OK) {
        r = exec(c, P_REVOCATIONS, ARGS(arg_int(*cursor), arg_int(now)));
        ret = outcome(c, r, NULL, NULL, W_ROWS, "revocations");
    }
    /* The connection goes back before the callbacks run. */
    release(s, c);
    if (ret == JOTD_STORE_OK) {
        jotd_revocation_reader rd = {cb, ctx, *cursor};
        read_rows(r, revocation_row, &rd, W_ROWS);
        *cursor = rd.seen > last ? rd.seen : last;
    }
    PQclear(r);
    return ret == JOTD_STORE_OK ? JOTD_STORE_OK : JOTD_STORE_ERROR;
}

/* Delete in batches of 256 with statement id (one parameter: before), each
 * batch its own short transaction. */
static jotd_store_rc purge_batches(jotd_pg *s, enum stmt_id id, int64_t before)
{
    long n = 256;
    jotd_store_rc ret = JOTD_STORE_OK;
    while (ret == JOTD_STORE_OK && n >= 256)
        ret = run1(s, id, ARGS(arg_int(before)), NULL, &n, W_DONE, "purge");
    return ret;
}

static jotd_store_rc jotd_pg_purge(void *h, int64_t grace_end, int64_t dead_before)
{
    if (run1(h, P_PURGE_SEALED, ARGS(arg_int(grace_end)), NULL, NULL, W_DONE, "purge") != JOTD_STORE_OK)
        return JOTD_STORE_ERROR;
    if (purge_batches(h, P_PURGE_FAMILIES, dead_before) != JOTD_STORE_OK)
        return JOTD_STORE_ERROR;
    return purge_batches(h, P_PURGE_REVOCATIONS, dead_before);
}

/* ---- The revocation watcher ------------------------------------------ */

/* Sleep up to ms milliseconds, waking early when asked to stop. */
static void watch_nap(jotd_pg *s, int ms)
{
    for (; ms > 0 && !atomic_load(&s->watch_stop); ms -= 100) {
        struct timespec t = {0, 100 * 1000000L};
        nanosleep(&t, NULL);
    }
}

/* A connection of its own that LISTENs for the trigger's notifications
 * (pg_schema.h, schema 2): each one, and each (re)connection, calls the
 * callback, which reads the log by number. A lost connection is opened
 * again after a second; the callers' periodic poll covers the gap. */
static void *watch_main(void *arg)
{
    jotd_pg *s = arg;
    PGconn *pg = NULL;
    while (!atomic_load(&s->watch_stop)) {
        if (!pg) {
            char why[256];
            pg = connect_db(s->uri, "jotd revocations", why, sizeof why);
            PGresult *r = pg ? PQexec(pg, "LISTEN jotd_revocations") : NULL;
            if (!cmd_ok(r)) {
                PQclear(r);
                if (pg)
                    PQfinish(pg);
                pg = NULL;
                watch_nap(s, 1000);
                continue;
            }
            PQclear(r);
            s->watch_fn(s->watch_ctx);
        }
        struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
        int ready = p.fd < 0 ? -1 : poll(&p, 1, 200);
        if (ready == 0 || (ready < 0 && errno == EINTR))
            continue;
        int got = 0;
        if (ready > 0 && PQconsumeInput(pg)) {
            PGnotify *n;
            while ((n = PQnotifies(pg)) != NULL) {
                got = 1;
                PQfreemem(n);
            }
        }
        if (ready < 0 || PQstatus(pg) != CONNECTION_OK) {
            log_msg("revocation watcher", PQerrorMessage(pg));
            PQfinish(pg);
            pg = NULL;
            watch_nap(s, 1000);
            continue;
        }
        if (got)
            s->watch_fn(s->watch_ctx);
    }
    if (pg)
        PQfinish(pg);
    return NULL;
}

static void jotd_pg_watch_revocations(void *h, void (*fn)(void *ctx), void *ctx)
{
    jotd_pg *s = h;
    if (s->watching) {
        atomic_store(&s->watch_stop, 1);
        pthread_join(s->watcher, NULL);
        s->watching = 0;
    }
    if (!fn)
        return;
    atomic_store(&s->watch_stop, 0);
    s->watch_fn = fn;
    s->watch_ctx = ctx;
    if (pthread_create(&s->watcher, NULL, watch_main, s) == 0)
        s->watching = 1;
    else
        log_msg("revocation watcher", "cannot start its thread; revocations arrive by the poll alone");
}


/* ---- API tokens and the sessions list --------------------------------- */

static void api_row(const PGresult *r, int i, void *out)
{
    jotd_api_token *t = out;
    col_copy(r, i, 0, t->id, sizeof t->id);
    col_copy(r, i, 1, t->user_id, sizeof t->user_id);
    col_copy(r, i, 2, t->name, sizeof t->name);
    col_copy(r, i, 3, t->scopes, sizeof t->scopes);
    if (PQgetlength(r, i, 4) == (int)sizeof t->hash)
        memcpy(t->hash, PQgetvalue(r, i, 4), sizeof t->hash);
    t->created_at = col_int(r, i, 5);
    t->expires_at = col_int(r, i, 6);
    t->revoked_at = col_int(r, i, 7);
    t->last_used_at = col_int(r, i, 8);
    col_copy(r, i, 9, t->kid, sizeof t->kid);
}

static void session_row(const PGresult *r, int i, void *out)
{
    jotd_session *x = out;
    col_copy(r, i, 0, x->family.id, sizeof x->family.id);
    col_copy(r, i, 1, x->family.user_id, sizeof x->family.user_id);
    x->family.created_at = col_int(r, i, 2);
    x->family.expires_at = col_int(r, i, 3);
    col_copy(r, i, 4, x->family.client_addr, sizeof x->family.client_addr);
    col_copy(r, i, 5, x->family.user_agent, sizeof x->family.user_agent);
    x->last_used_at = col_int(r, i, 6);
    x->refresh_expires_at = col_int(r, i, 7);
    x->revoked_at = col_int(r, i, 8);
}

static jotd_store_rc jotd_pg_api_token_insert(void *h, const jotd_api_token *t)
{
    /* "" becomes NULL in the statement: a token made without a key's name
     * keeps every key (P_KEY_LIST). */
    return run1(h, P_API_INSERT,
                ARGS(arg_text(t->id), arg_text(t->user_id), arg_text(t->name), arg_text(t->scopes),
                     arg_bytes(t->hash, sizeof t->hash), arg_int(t->created_at), arg_int(t->expires_at),
                     arg_text(t->kid)),
                NULL, NULL, W_INSERT, "api_token_insert");
}

static jotd_store_rc jotd_pg_api_token_get(void *h, const char *id, jotd_api_token *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, P_API_GET, ARGS(arg_text(id)), api_row, out, W_ONE, "api_token_get");
}

static jotd_store_rc jotd_pg_api_token_list(void *h, const char *user_id, jotd_api_token **out, size_t *n)
{
    listing l = {.rows = {.size = sizeof **out}, .fill = api_row};
    jotd_store_rc rc = run1(h, P_API_LIST, ARGS(arg_text(user_id)), listing_row, &l, W_ROWS, "api_token_list");
    *out = jotd_rows_take(&l.rows, rc, n);
    return rc;
}

static jotd_store_rc jotd_pg_api_token_revoke(void *h, const char *user_id, const char *id, int64_t now)
{
    return run1(h, P_API_REVOKE, ARGS(arg_text(id), arg_text(user_id), arg_int(now)), NULL, NULL, W_CHANGE,
                "api_token_revoke");
}

static jotd_store_rc jotd_pg_api_token_touch(void *h, const char *id, int64_t when)
{
    return run1(h, P_API_TOUCH, ARGS(arg_text(id), arg_int(when)), NULL, NULL, W_CHANGE, "api_token_touch");
}

static jotd_store_rc jotd_pg_api_token_purge(void *h, int64_t dead_before)
{
    return purge_batches(h, P_API_PURGE, dead_before);
}

static jotd_store_rc jotd_pg_session_list(void *h, const char *user_id, int64_t now, jotd_session **out, size_t *n)
{
    listing l = {.rows = {.size = sizeof **out}, .fill = session_row};
    jotd_store_rc rc =
        run1(h, P_SESSION_LIST, ARGS(arg_text(user_id), arg_int(now)), listing_row, &l, W_ROWS, "session_list");
    *out = jotd_rows_take(&l.rows, rc, n);
    return rc;
}

static jotd_store_rc jotd_pg_session_get(void *h, const char *id, jotd_session *out)
{
    memset(out, 0, sizeof *out);
    return run1(h, P_SESSION_GET, ARGS(arg_text(id)), session_row, out, W_ONE, "session_get");
}

const jotd_store_backend jotd_store_pg = {
    .name = "postgresql",
    .schema_latest = JOTD_PG_SCHEMA_LATEST,
    .accepts = jotd_pg_accepts,
    .open = jotd_pg_open,
    .close = jotd_pg_close,
    .background = NULL, /* the server checkpoints by itself */
    .schema_version = jotd_pg_schema_version,
    .ping = jotd_pg_ping,
    .user_insert = jotd_pg_user_insert,
    .user_find = jotd_pg_user_find,
    .user_get = jotd_pg_user_get,
    .user_set_hash = jotd_pg_user_set_hash,
    .key_insert = jotd_pg_key_insert,
    .key_list = jotd_pg_key_list,
    .key_delete = jotd_pg_key_delete,
    .session_create = jotd_pg_session_create,
    .refresh_get = jotd_pg_refresh_get,
    .refresh_exchange = jotd_pg_refresh_exchange,
    .refresh_grace = jotd_pg_refresh_grace,
    .family_revoke = jotd_pg_family_revoke,
    .revocations = jotd_pg_revocations,
    .watch_revocations = jotd_pg_watch_revocations,
    .purge = jotd_pg_purge,
    .api_token_insert = jotd_pg_api_token_insert,
    .api_token_get = jotd_pg_api_token_get,
    .api_token_list = jotd_pg_api_token_list,
    .api_token_revoke = jotd_pg_api_token_revoke,
    .api_token_touch = jotd_pg_api_token_touch,
    .api_token_purge = jotd_pg_api_token_purge,
    .session_list = jotd_pg_session_list,
    .session_get = jotd_pg_session_get,
};
