/*
 * server/auth/auth.h - jotd's endpoints and the state behind them (keys,
 * revoked families, password hashing pool, login throttle, metrics), on the
 * public libjot API and the store interface. main.c sees only this header.
 */
#ifndef JOTD_AUTH_H
#define JOTD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http/http.h"
#include "store/store.h"

typedef struct jotd_auth jotd_auth;

/* Load the master key (creating it beside a new store), the signing keys
 * (generating the first), the revoked families, and start the password
 * hashing threads. -1 with a reason in err. */
int jotd_auth_new(const jotd_config *cfg, jotd_store *store, jotd_auth **out, char *err, size_t errlen);

/* Register every endpoint, and fill in the HTTP observer (metrics). */
void jotd_auth_routes(jotd_auth *a, jotd_http *h, jotd_http_options *o);

/* Periodic work, from one thread: reload keys and revocations from the
 * store, forget expired state, purge dead rows. */
void jotd_auth_tick(jotd_auth *a, int64_t now);

/* Stop taking new password jobs and start the delayed ones (shutdown, before
 * the HTTP layer waits for requests in flight). */
void jotd_auth_shutdown(jotd_auth *a);
void jotd_auth_free(jotd_auth *a);

/* For `jotd user add`: validate, hash and insert. 0, or -1 with err (the
 * name taken, a bad name, role or password). */
int jotd_auth_user_add(const jotd_config *cfg, jotd_store *store, const char *username, const char *role,
                       const char *password, size_t password_len, char *id_out, size_t id_len, char *err,
                       size_t errlen);

/* 1..64 of A-Z a-z 0-9 . _ @ -  */
int jotd_valid_username(const char *s);
/* 1..64 of A-Z a-z 0-9 . _ -  */
int jotd_valid_role(const char *s);

#define JOTD_PASSWORD_MIN 8
#define JOTD_PASSWORD_MAX 1024

#endif
