/*
 * server/auth/passwords.c - argon2id (RFC 9106) password hashes in the PHC
 * string format. Defaults are OWASP's first recommendation: m = 19 MiB,
 * t = 2, p = 1; every parameter is a setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "auth/internal.h"

#define SALT_LEN 16
#define HASH_LEN 32

char *jotd_password_hash(const jotd_config *cfg, const char *pw, size_t len)
{
    uint8_t salt[SALT_LEN];
    jotd_random(salt, sizeof salt);
    size_t enclen = argon2_encodedlen(cfg->argon2_iterations, cfg->argon2_memory, cfg->argon2_parallelism,
                                      SALT_LEN, HASH_LEN, Argon2_id);
    char *enc = jotd_xmalloc(enclen);
    int rc = argon2id_hash_encoded(cfg->argon2_iterations, cfg->argon2_memory, cfg->argon2_parallelism, pw, len,
                                   salt, SALT_LEN, HASH_LEN, enc, enclen);
    if (rc != ARGON2_OK) {
        jotd_log("error", "argon2id failed", "detail", argon2_error_message(rc), NULL);
        free(enc);
        return NULL;
    }
    return enc;
}

int jotd_password_verify(const char *encoded, const char *pw, size_t len)
{
    /* argon2id_verify compares the hashes in constant time. */
    return argon2id_verify(encoded, pw, len) == ARGON2_OK;
}

int jotd_password_needs_rehash(const jotd_config *cfg, const char *encoded)
{
    char want[96];
    snprintf(want, sizeof want, "$argon2id$v=%d$m=%u,t=%u,p=%u$", ARGON2_VERSION_NUMBER, cfg->argon2_memory,
             cfg->argon2_iterations, cfg->argon2_parallelism);
    return strncmp(encoded, want, strlen(want)) != 0;
}
