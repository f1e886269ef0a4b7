/*
 * server/services/users.h - what makes a user: the rules for names and
 * roles, and the creation of one with a checked and hashed password (for
 * `jotd user add`; /signup runs the same steps on the hashing pool).
 */
#ifndef JOTD_SERVICES_USERS_H
#define JOTD_SERVICES_USERS_H

#include <stddef.h>

#include "config.h"
#include "store/store.h"

/* 1..64 of A-Z a-z 0-9 . _ @ -  */
int jotd_valid_username(const char *s);
/* 1..64 of A-Z a-z 0-9 . _ -  */
int jotd_valid_role(const char *s);

#define JOTD_PASSWORD_MIN 8
#define JOTD_PASSWORD_MAX 1024

/* Validate, judge the password (password-min-bits), hash and insert. 0
 * with the new id in id_out, or -1 with err (the name taken, a bad name,
 * role or password). */
int jotd_user_add(const jotd_config *cfg, jotd_store *store, const char *username, const char *role,
                  const char *password, size_t password_len, char *id_out, size_t id_len, char *err, size_t errlen);

#endif
