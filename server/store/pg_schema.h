/*
 * server/store/pg_schema.h - the PostgreSQL schema, as an ordered list of
 * migrations. Migration i (1-based) brings jotd_schema.version from i-1 to
 * i; a migration, once released, never changes: a new one is appended.
 * pg.c runs them in one transaction under an advisory lock, so that
 * several jotd starting at once against one database migrate it once.
 *
 * Times are seconds since the epoch (bigint), as in the SQLite schema;
 * hashes and sealed secrets are bytea.
 */
#ifndef JOTD_STORE_PG_SCHEMA_H
#define JOTD_STORE_PG_SCHEMA_H

static const char *const jotd_pg_migrations[] = {
    /* 1: users, signing keys, refresh token families and tokens. */
    "CREATE TABLE users ("
    "  id text PRIMARY KEY,"
    "  username text NOT NULL,"
    "  password_hash text NOT NULL,"
    "  role text NOT NULL,"
    "  created_at bigint NOT NULL"
    ");"
    /* Usernames are unique regardless of case: ASCII case only (the "C"
     * collation), whatever the database's locale, as SQLite's NOCASE. */
    "CREATE UNIQUE INDEX users_username ON users (lower(username COLLATE \"C\"));"
    /* The private key is a JWK sealed with AES-256-GCM under the master key
     * (nonce | ciphertext | tag, the kid as additional data). */
    "CREATE TABLE signing_keys ("
    "  kid text PRIMARY KEY,"
    "  alg text NOT NULL,"
    "  sealed bytea NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  activate_at bigint NOT NULL"
    ");"
    /* One family per login: the access tokens' sid. */
    "CREATE TABLE families ("
    "  id text PRIMARY KEY,"
    "  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at bigint NOT NULL,"
    "  expires_at bigint NOT NULL,"
    "  refresh_expires_at bigint NOT NULL,"
    "  last_used_at bigint NOT NULL,"
    "  revoked_at bigint,"
    "  revoke_reason text,"
    "  client_addr text,"
    "  user_agent text"
    ");"
    "CREATE INDEX families_user ON families (user_id);"
    "CREATE INDEX families_revoked ON families (revoked_at) WHERE revoked_at IS NOT NULL;"
    "CREATE INDEX families_expiry ON families (expires_at);"
    "CREATE INDEX families_refresh_expiry ON families (refresh_expires_at);"
    /* A refresh token is stored as the SHA-256 of its text, never the text.
     * successor_sealed holds the successor sealed under the master key for
     * the grace window only (several jotd share the database, so it cannot
     * live in one process's memory); the purge clears it after. */
    "CREATE TABLE refresh_tokens ("
    "  family_id text NOT NULL REFERENCES families(id) ON DELETE CASCADE,"
    "  jti text NOT NULL,"
    "  token_hash bytea NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('active', 'spent', 'revoked')),"
    "  issued_at bigint NOT NULL,"
    "  expires_at bigint NOT NULL,"
    "  spent_at bigint,"
    "  successor_jti text,"
    "  successor_sealed bytea,"
    "  PRIMARY KEY (family_id, jti)"
    ");"
    "CREATE INDEX refresh_tokens_sealed ON refresh_tokens (spent_at) WHERE successor_sealed IS NOT NULL;"
    /* API tokens: as refresh tokens, only the SHA-256 of the text; the id
     * is the token's jti. A row stays until the token has expired, so that
     * every jotd on the store can read its revocation. */
    "CREATE TABLE api_tokens ("
    "  id text PRIMARY KEY,"
    "  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name text NOT NULL,"
    "  scopes text NOT NULL,"
    "  token_hash bytea NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  expires_at bigint NOT NULL,"
    "  revoked_at bigint,"
    "  last_used_at bigint"
    ");"
    "CREATE INDEX api_tokens_user ON api_tokens (user_id);"
    "CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);"
    "CREATE INDEX api_tokens_revoked ON api_tokens (revoked_at) WHERE revoked_at IS NOT NULL;",
};

#define JOTD_PG_SCHEMA_LATEST ((int)(sizeof jotd_pg_migrations / sizeof jotd_pg_migrations[0]))

#endif
