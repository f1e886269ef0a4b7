/*
 * server/store/store.h - the store interface: everything jotd keeps, behind
 * functions that name no SQL and no backend type. The rest of jotd uses
 * only this header; store.c hands each call to the backend the location
 * names (pg.c for a postgresql:// URI, sqlite.c for a file path), through
 * the struct of function pointers that each of them fills (backend.h).
 *
 * Every function is safe to call from any thread at once. Each state change
 * is one transaction. Times are seconds since the epoch.
 *
 * What is stored, and why a copy of the store alone lets nobody mint or use a
 * token: users with argon2id hashes; signing keys sealed (AES-256-GCM) under
 * a master key that is not in the store; refresh tokens only as SHA-256
 * hashes (plus their jti); for the grace window only, the successor refresh
 * token sealed under the master key (a backend may keep that part in
 * memory: the SQLite one does, successors.c).
 */
#ifndef JOTD_STORE_H
#define JOTD_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct jotd_store jotd_store;

typedef enum jotd_store_rc {
    JOTD_STORE_OK = 0,
    JOTD_STORE_NOT_FOUND = 1,
    JOTD_STORE_EXISTS = 2,   /* a unique name or id is taken */
    JOTD_STORE_CONFLICT = 3, /* a compare-and-set lost: the row changed */
    JOTD_STORE_ERROR = 4,    /* the backend failed (logged) */
} jotd_store_rc;

/* Open (creating the file with mode 0600 when absent) and bring the schema
 * up to date. On failure returns JOTD_STORE_ERROR with a reason in err. */
jotd_store_rc jotd_store_open(const char *location, jotd_store **out, char *err, size_t errlen);
void jotd_store_close(jotd_store *s);
/* For a long-running server: move the work that a commit would otherwise
 * do now and then (an SQLite WAL checkpoint, with its fsyncs) to a thread
 * of the store's own, so that no request waits for it. */
void jotd_store_background(jotd_store *s);
/* The schema version now in place, and the newest this build knows. */
int jotd_store_schema_version(jotd_store *s);
int jotd_store_schema_latest(jotd_store *s);
/* A trivial query, for /healthz. */
jotd_store_rc jotd_store_ping(jotd_store *s);

/* ---- Users ------------------------------------------------------------ */

typedef struct jotd_user {
    char id[48];         /* the token's sub */
    char username[72];
    char role[72];
    char *password_hash; /* argon2id encoded; owned */
    int64_t created_at;
} jotd_user;

/* EXISTS when the username is taken (compared case-insensitively). */
jotd_store_rc jotd_store_user_insert(jotd_store *s, const jotd_user *u);
/* By username (case-insensitive) or by id. */
jotd_store_rc jotd_store_user_find(jotd_store *s, const char *username, jotd_user *out);
jotd_store_rc jotd_store_user_get(jotd_store *s, const char *id, jotd_user *out);
jotd_store_rc jotd_store_user_set_hash(jotd_store *s, const char *id, const char *password_hash);
void jotd_user_release(jotd_user *u);

/* ---- Signing keys ----------------------------------------------------- */

typedef struct jotd_key_row {
    char kid[64];
    char alg[16];
    uint8_t *sealed; /* the private JWK, sealed under the master key; owned */
    size_t sealed_len;
    int64_t created_at;
    int64_t activate_at; /* it signs from then on, until a newer key does */
    /* The latest expiry of the unrevoked API tokens it signed (0: none):
     * a retired key stays published and verifying until then. Read by
     * jotd_store_key_list; ignored by jotd_store_key_insert. */
    int64_t api_until;
} jotd_key_row;

jotd_store_rc jotd_store_key_insert(jotd_store *s, const jotd_key_row *k);
/* Every key, oldest activation first; keys that activate in the same
 * second come in the order they were inserted, so that the newest of them
 * is the one that signs. *out is an array the caller frees with
 * jotd_key_rows_free. */
jotd_store_rc jotd_store_key_list(jotd_store *s, jotd_key_row **out, size_t *n);
jotd_store_rc jotd_store_key_delete(jotd_store *s, const char *kid);
void jotd_key_rows_free(jotd_key_row *rows, size_t n);

/* ---- Sessions: refresh token families --------------------------------- */

typedef struct jotd_family {
    char id[48];         /* the access tokens' sid */
    char user_id[48];
    int64_t created_at;
    int64_t expires_at;  /* absolute end: login + session-max */
    char client_addr[64];
    char user_agent[256];
} jotd_family;

typedef struct jotd_refresh_new {
    char jti[48];
    uint8_t hash[32];    /* SHA-256 of the token text */
    int64_t issued_at;
    int64_t expires_at;
} jotd_refresh_new;

/* A new family with its first refresh token, in one transaction. */
jotd_store_rc jotd_store_session_create(jotd_store *s, const jotd_family *f, const jotd_refresh_new *t);

typedef enum jotd_refresh_state {
    JOTD_REFRESH_ACTIVE = 1,
    JOTD_REFRESH_SPENT = 2,
    JOTD_REFRESH_REVOKED = 3,
} jotd_refresh_state;

/* One refresh token's row, with its family and user. */
typedef struct jotd_refresh_info {
    char jti[48];
    char family_id[48];
    uint8_t hash[32];
    jotd_refresh_state state;
    int64_t issued_at;
    int64_t expires_at;
    int64_t spent_at;          /* 0 while active */
    char successor_jti[48];    /* "" unless spent */
    int successor_active;      /* the successor is the family's current token */
    uint8_t *successor_sealed; /* within the grace window only; owned */
    size_t successor_sealed_len;
    uint8_t spent_by[32];      /* with successor_sealed: see jotd_successor */
    unsigned grace_used;       /* grace answers given for this spent token */
    int64_t family_created_at;
    int64_t family_expires_at;
    int64_t family_refresh_expires_at; /* as last recorded (see rotate) */
    int64_t family_revoked_at; /* 0 while alive */
    jotd_user user;            /* without password_hash */
} jotd_refresh_info;

/* The token (family_id, jti): a refresh token is found through its sid and
 * jti claims together. */
jotd_store_rc jotd_store_refresh_get(jotd_store *s, const char *family_id, const char *jti, jotd_refresh_info *out);
void jotd_refresh_info_release(jotd_refresh_info *i);

/* A successor, as the exchange callback decides it. */
typedef struct jotd_successor {
    jotd_refresh_new row;
    /* Record the family's last use and the expiry of its newest token too
     * (a caller may skip it while the recorded values are recent enough:
     * it is the one write a rotation could do without). */
    int touch_family;
    /* Kept for the grace window (NULL: none), until sealed_until; the
     * caller's memory. */
    const uint8_t *sealed;
    size_t sealed_len;
    int64_t sealed_until;
    /* Who spent the token (a keyed hash of the client's address and
     * User-Agent), kept with the sealed successor: the grace window
     * answers that client only. */
    uint8_t spent_by[32];
} jotd_successor;

/* Reads the token's row and returns 1 with *succ filled to spend the token
 * and record its successor, or 0 to change nothing. It runs inside the
 * exchange's transaction, under the store's lock: it must be short (a MAC,
 * a hash, no I/O). */
typedef int (*jotd_exchange_fn)(const jotd_refresh_info *info, jotd_successor *succ, void *ctx);

/* The refresh exchange as one write transaction: read the token (family_id,
 * jti) with its family and user into *info, let fn decide, and when it says
 * so, spend the token and insert its successor. The spend is still a
 * compare-and-set (the UPDATE names state = 'active' and its row count is
 * checked), so that nothing else that writes the file can make a token be
 * spent twice. *rotated tells whether it was spent. OK (info filled),
 * NOT_FOUND, or ERROR (nothing changed). */
jotd_store_rc jotd_store_refresh_exchange(jotd_store *s, const char *family_id, const char *jti, int64_t now,
                                          jotd_exchange_fn fn, void *ctx, jotd_refresh_info *info, int *rotated);

/* Count one grace answer for the spent token (family_id, jti): OK while
 * fewer than max were given (the count is then one higher), CONFLICT once
 * max were, NOT_FOUND when the token is not spent or unknown. Atomic: two
 * instances cannot both give the last one. */
jotd_store_rc jotd_store_refresh_grace(jotd_store *s, const char *family_id, const char *jti, unsigned max);

/* Revoke a family: every token of it stops working, and the revocation
 * goes to the log (below) in force until until (the last access token it
 * covers expires). OK when it was alive, NOT_FOUND when unknown or already
 * revoked. reason: "logout", "reuse", "revoke". */
jotd_store_rc jotd_store_family_revoke(jotd_store *s, const char *family_id, int64_t now, const char *reason,
                                       int64_t until);

/* ---- The revocation log -------------------------------------------------
 *
 * Every revocation (of a family by jotd_store_family_revoke, of an API
 * token the first time jotd_store_api_token_revoke revokes it) is appended
 * to a log under a sequence number that the store assigns in commit order:
 * a reader that has seen number n has seen every revocation committed
 * before it. Readers follow it with a cursor, never with a clock, so that a
 * revoking process's clock or a late commit cannot hide a revocation. */

typedef enum jotd_revocation_kind {
    JOTD_REVOKED_FAMILY = 1, /* id: a family (the access tokens' sid) */
    JOTD_REVOKED_API = 2,    /* id: an API token's jti */
} jotd_revocation_kind;

typedef void (*jotd_revocation_fn)(jotd_revocation_kind kind, const char *id, int64_t revoked_at, int64_t until,
                                   void *ctx);

/* cb for each revocation numbered above *cursor that is still in force at
 * now (until > now), oldest first; then *cursor moves to the newest number
 * read (0: start from the beginning). */
jotd_store_rc jotd_store_revocations(jotd_store *s, int64_t *cursor, int64_t now, jotd_revocation_fn cb,
                                     void *ctx);

/* Call fn(ctx) from a thread of the store's own soon after any process
 * appends to the log (PostgreSQL: LISTEN/NOTIFY, on a connection of its
 * own that comes back by itself when it is lost; fn is also called after
 * each reconnection, since notifications may have been missed). A store
 * that only one process writes (SQLite) never calls it. fn NULL stops the
 * watching and waits until no call of fn runs. */
void jotd_store_watch_revocations(jotd_store *s, void (*fn)(void *ctx), void *ctx);

/* Housekeeping: drop the sealed successors whose grace window has closed
 * (spent before grace_end), and delete families that cannot live any more
 * (absolute end, or every token expired, before dead_before) and
 * revocations no longer in force before dead_before, in short
 * transactions. */
jotd_store_rc jotd_store_purge(jotd_store *s, int64_t grace_end, int64_t dead_before);

/* ---- API tokens and the sessions list ----------------------------------
 *
 * Plain rows: every backend fills the same structs. */

#define JOTD_API_NAME_MAX 100   /* bytes of a token's name */
#define JOTD_API_SCOPES_MAX 512 /* bytes of its space-separated scopes */

typedef struct jotd_api_token {
    char id[48];       /* the token's jti */
    char user_id[48];
    char name[JOTD_API_NAME_MAX + 1];
    char scopes[JOTD_API_SCOPES_MAX + 1]; /* space-separated, "" for none */
    char kid[64];      /* the signing key's (keeps it published, jotd_key_row) */
    uint8_t hash[32];  /* SHA-256 of the token text; never the text */
    int64_t created_at;
    int64_t expires_at;
    int64_t revoked_at;   /* 0 while not revoked */
    int64_t last_used_at; /* 0 when never seen (recorded with some delay) */
} jotd_api_token;

/* EXISTS when the id is taken. */
jotd_store_rc jotd_store_api_token_insert(jotd_store *s, const jotd_api_token *t);
/* One token by id (whoever owns it). */
jotd_store_rc jotd_store_api_token_get(jotd_store *s, const char *id, jotd_api_token *out);
/* A user's tokens, newest first, revoked ones included (until purged).
 * *out is an array the caller frees with free(); *n may be 0. */
jotd_store_rc jotd_store_api_token_list(jotd_store *s, const char *user_id, jotd_api_token **out, size_t *n);
/* Revoke the token id of user_id. OK when the
 * user has it (already revoked included: the first revocation time stays,
 * and only the first goes to the revocation log, in force until the
 * token's expiry + JOTD_STORE_API_SLACK), NOT_FOUND otherwise. */
jotd_store_rc jotd_store_api_token_revoke(jotd_store *s, const char *user_id, const char *id, int64_t now);
#define JOTD_STORE_API_SLACK 60
/* Record a use: last_used_at becomes at least when. NOT_FOUND for an
 * unknown id. */
jotd_store_rc jotd_store_api_token_touch(jotd_store *s, const char *id, int64_t when);
/* Delete the tokens that expired before dead_before. */
jotd_store_rc jotd_store_api_token_purge(jotd_store *s, int64_t dead_before);

/* A login (refresh family) as the sessions list shows it. */
typedef struct jotd_session {
    jotd_family family;
    int64_t last_used_at;       /* as last recorded (see touch_family) */
    int64_t refresh_expires_at; /* expiry of its newest refresh token, as last recorded */
    int64_t revoked_at;         /* 0 while alive */
} jotd_session;

#define JOTD_STR_(x) #x
#define JOTD_STR(x) JOTD_STR_(x)

/* At most this many logins come back from one jotd_store_session_list. */
#define JOTD_SESSION_LIST_MAX 1000

/* A user's live logins (not revoked, not past expires_at nor
 * refresh_expires_at at now), most recently used first, at most
 * JOTD_SESSION_LIST_MAX of them. *out is an array the caller frees with
 * free(); *n may be 0. */
jotd_store_rc jotd_store_session_list(jotd_store *s, const char *user_id, int64_t now, jotd_session **out,
                                      size_t *n);
/* One login by id, alive or not. */
jotd_store_rc jotd_store_session_get(jotd_store *s, const char *id, jotd_session *out);

#endif
