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

    /* 2: what the security review asked for.
     * - Keys that activate in the same second are ordered by insertion
     *   (seq), so that an emergency rotation's key is the one that signs.
     * - An API token names the key that signed it: a retired key stays
     *   published until the last unrevoked token it signed has expired.
     *   A token made before gets the key that was signing when it was
     *   made (none when that key is gone: the token cannot verify).
     * - The grace window answers only the client that spent the token
     *   (spent_by, a keyed hash of its address and User-Agent), a bounded
     *   number of times (grace_used).
     * - The revocation log. A sequence alone hands out numbers in the
     *   order transactions ask, not in the order they commit, so a reader
     *   could pass a number whose transaction commits later: the trigger
     *   takes a transaction-scoped advisory lock before it draws the
     *   number, which serialises revocations (they are rare) and makes
     *   numbers visible in order. It also notifies the listeners, which
     *   PostgreSQL delivers at commit. A family's revocation is appended
     *   by the code that revokes it (it knows how long the family's access
     *   tokens live); an API token's first revocation by a trigger.
     *   Revocations made before are carried over, in force for a day
     *   (families) or until the token's expiry. */
    "ALTER TABLE signing_keys ADD COLUMN seq bigserial;"
    "ALTER TABLE api_tokens ADD COLUMN kid text;"
    "UPDATE api_tokens a SET kid = (SELECT k.kid FROM signing_keys k WHERE k.activate_at <= a.created_at"
    "  ORDER BY k.activate_at DESC, k.seq DESC LIMIT 1);"
    "CREATE INDEX api_tokens_kid ON api_tokens (kid, expires_at);"
    "ALTER TABLE refresh_tokens ADD COLUMN spent_by bytea, ADD COLUMN grace_used integer NOT NULL DEFAULT 0;"
    "CREATE SEQUENCE revocations_seq;"
    "CREATE TABLE revocations ("
    "  seq bigint PRIMARY KEY,"
    "  kind text NOT NULL CHECK (kind IN ('family', 'api')),"
    "  id text NOT NULL,"
    "  revoked_at bigint NOT NULL,"
    "  ends_at bigint NOT NULL"
    ");"
    "CREATE INDEX revocations_until ON revocations (ends_at);"
    "CREATE FUNCTION jotd_revocation_number() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  PERFORM pg_advisory_xact_lock(1785688933);"
    "  NEW.seq := nextval('revocations_seq');"
    "  PERFORM pg_notify('jotd_revocations', '');"
    "  RETURN NEW;"
    "  END $$;"
    "CREATE TRIGGER revocations_number BEFORE INSERT ON revocations"
    "  FOR EACH ROW EXECUTE FUNCTION jotd_revocation_number();"
    "CREATE FUNCTION jotd_api_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  INSERT INTO revocations (seq, kind, id, revoked_at, ends_at)"
    "    VALUES (0, 'api', NEW.id, NEW.revoked_at, NEW.expires_at + 60);"
    "  RETURN NEW;"
    "  END $$;"
    "CREATE TRIGGER api_tokens_revoked AFTER UPDATE OF revoked_at ON api_tokens"
    "  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)"
    "  EXECUTE FUNCTION jotd_api_token_revoked();"
    "INSERT INTO revocations (seq, kind, id, revoked_at, ends_at)"
    "  SELECT 0, 'family', id, revoked_at, revoked_at + 86400 FROM families WHERE revoked_at IS NOT NULL;"
    "INSERT INTO revocations (seq, kind, id, revoked_at, ends_at)"
    "  SELECT 0, 'api', id, revoked_at, expires_at + 60 FROM api_tokens WHERE revoked_at IS NOT NULL;",
};

#define JOTD_PG_SCHEMA_LATEST ((int)(sizeof jotd_pg_migrations / sizeof jotd_pg_migrations[0]))

#endif
