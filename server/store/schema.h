/*
 * server/store/schema.h - the SQLite schema, as an ordered list of
 * migrations. Migration i (1-based) brings PRAGMA user_version from i-1 to
 * i; a migration, once released, never changes: a new one is appended.
 */
#ifndef JOTD_STORE_SCHEMA_H
#define JOTD_STORE_SCHEMA_H

static const char *const jotd_sqlite_migrations[] = {
    /* 1: users, signing keys, refresh token families and tokens. */
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  password_hash TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ");"
    /* The private key is a JWK sealed with AES-256-GCM under the master key
     * (nonce | ciphertext | tag, the kid as additional data). */
    "CREATE TABLE signing_keys ("
    "  kid TEXT PRIMARY KEY,"
    "  alg TEXT NOT NULL,"
    "  sealed BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  activate_at INTEGER NOT NULL"
    ");"
    /* One family per login: the access tokens' sid. */
    "CREATE TABLE families ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  refresh_expires_at INTEGER NOT NULL,"
    "  last_used_at INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  revoke_reason TEXT,"
    "  client_addr TEXT,"
    "  user_agent TEXT"
    ");"
    "CREATE INDEX families_user ON families(user_id);"
    "CREATE INDEX families_revoked ON families(revoked_at) WHERE revoked_at IS NOT NULL;"
    "CREATE INDEX families_expiry ON families(expires_at);"
    "CREATE INDEX families_refresh_expiry ON families(refresh_expires_at);"
    /* A refresh token is stored as the SHA-256 of its text, never the text;
     * successor_sealed holds the successor sealed under the master key, for
     * the grace window only. */
    "CREATE TABLE refresh_tokens ("
    "  jti TEXT PRIMARY KEY,"
    "  family_id TEXT NOT NULL REFERENCES families(id) ON DELETE CASCADE,"
    "  token_hash BLOB NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'spent', 'revoked')),"
    "  issued_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  spent_at INTEGER,"
    "  successor_jti TEXT,"
    "  successor_sealed BLOB"
    ");"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);"
    "CREATE INDEX refresh_tokens_sealed ON refresh_tokens(spent_at) WHERE successor_sealed IS NOT NULL;",

    /* 2: refresh tokens keyed by (family, jti) in a table without rowid, so
     * that a token and its successor sit side by side in one b-tree and a
     * rotation writes a page or two instead of four indexes' worth; the
     * key's prefix serves the family's revocation and the cascade from
     * families. The successor sealed for the grace window no longer goes
     * to the file at all (sqlite.c keeps it in memory for its seconds). */
    "CREATE TABLE refresh_tokens_v2 ("
    "  family_id TEXT NOT NULL REFERENCES families(id) ON DELETE CASCADE,"
    "  jti TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'spent', 'revoked')),"
    "  issued_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  spent_at INTEGER,"
    "  successor_jti TEXT,"
    "  PRIMARY KEY (family_id, jti)"
    ") WITHOUT ROWID;"
    "INSERT INTO refresh_tokens_v2 (family_id, jti, token_hash, state, issued_at, expires_at, spent_at,"
    "  successor_jti) SELECT family_id, jti, token_hash, state, issued_at, expires_at, spent_at, successor_jti"
    "  FROM refresh_tokens;"
    "DROP TABLE refresh_tokens;"
    "ALTER TABLE refresh_tokens_v2 RENAME TO refresh_tokens;",

    /* 3: API tokens. Like refresh tokens, only the SHA-256 of the token's
     * text is kept; the id is the token's jti. A row stays until the token
     * has expired, so that a revocation can still be read at start-up by
     * every jotd on the store. */
    "CREATE TABLE api_tokens ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  scopes TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  last_used_at INTEGER"
    ");"
    "CREATE INDEX api_tokens_user ON api_tokens(user_id);"
    "CREATE INDEX api_tokens_expiry ON api_tokens(expires_at);"
    "CREATE INDEX api_tokens_revoked ON api_tokens(revoked_at) WHERE revoked_at IS NOT NULL;",

    /* 4: what the security review asked for.
     * - Keys that activate in the same second are ordered by insertion
     *   (seq), so that an emergency rotation's key is the one that signs.
     * - An API token names the key that signed it: a retired key stays
     *   published until the last unrevoked token it signed has expired.
     *   A token made before gets the key that was signing when it was
     *   made (none when that key is gone: the token cannot verify).
     * - The revocation log, numbered in commit order (AUTOINCREMENT never
     *   hands out a number twice, even after the newest row is deleted):
     *   other readers follow it by number, never by clock. A family's
     *   revocation is appended by the code that revokes it (it knows how
     *   long the family's access tokens live); an API token's first
     *   revocation by the trigger. Revocations made before are carried
     *   over, in force for a day (families) or until the token's expiry. */
    "ALTER TABLE signing_keys ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
    "UPDATE signing_keys SET seq = rowid;"
    "ALTER TABLE api_tokens ADD COLUMN kid TEXT;"
    "UPDATE api_tokens SET kid = (SELECT k.kid FROM signing_keys k WHERE k.activate_at <= api_tokens.created_at"
    "  ORDER BY k.activate_at DESC, k.seq DESC LIMIT 1);"
    "CREATE INDEX api_tokens_kid ON api_tokens(kid, expires_at);"
    "CREATE TABLE revocations ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL CHECK (kind IN ('family', 'api')),"
    "  id TEXT NOT NULL,"
    "  revoked_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX revocations_until ON revocations(ends_at);"
    "INSERT INTO revocations (kind, id, revoked_at, ends_at) SELECT 'family', id, revoked_at, revoked_at + 86400"
    "  FROM families WHERE revoked_at IS NOT NULL ORDER BY revoked_at;"
    "INSERT INTO revocations (kind, id, revoked_at, ends_at) SELECT 'api', id, revoked_at, expires_at + 60"
    "  FROM api_tokens WHERE revoked_at IS NOT NULL ORDER BY revoked_at;"
    "CREATE TRIGGER api_tokens_revoked AFTER UPDATE OF revoked_at ON api_tokens"
    "  WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL BEGIN"
    "  INSERT INTO revocations (kind, id, revoked_at, ends_at) VALUES ('api', NEW.id, NEW.revoked_at, NEW.expires_at + 60);"
    "  END;",
};

#define JOTD_SQLITE_SCHEMA_LATEST ((int)(sizeof jotd_sqlite_migrations / sizeof jotd_sqlite_migrations[0]))

#endif
