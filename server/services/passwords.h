/*
 * server/services/passwords.h - passwords: argon2id (RFC 9106) hashes in
 * the PHC string format with the configured parameters, and the judgement
 * of new passwords (zxcvbn).
 */
#ifndef JOTD_SERVICES_PASSWORDS_H
#define JOTD_SERVICES_PASSWORDS_H

#include <stddef.h>

#include "config.h"

/* An argon2id encoded hash with the configured parameters, or NULL
 * (logged). Caller frees with jotd_free_secret. */
char *jotd_password_hash(const jotd_config *cfg, const char *pw, size_t len);
/* 1 when pw matches encoded (compared in constant time). */
int jotd_password_verify(const char *encoded, const char *pw, size_t len);
/* 1 when encoded was made with other parameters than the configured ones. */
int jotd_password_needs_rehash(const jotd_config *cfg, const char *encoded);
/* NULL when the new password pw (NUL-terminated) of username is strong
 * enough (password-min-bits); otherwise why not, as a sentence written to
 * why (n bytes), which is returned. */
const char *jotd_password_weakness(const jotd_config *cfg, const char *pw, const char *username, char *why,
                                   size_t n);

#endif
