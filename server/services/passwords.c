/*
 * server/services/passwords.c - argon2id (RFC 9106) password hashes in the PHC
 * string format (see passwords.h). Defaults are OWASP's first recommendation: m = 19 MiB,
 * t = 2, p = 1; every parameter is a setting. New passwords are judged by
 * zxcvbn (Dropbox's estimator, its C port libzxcvbn): the guesses an
 * attacker who knows common passwords, words, names, keyboard patterns,
 * sequences, repeats and dates would need.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <zxcvbn.h>

#include "services/passwords.h"

#include "base/log.h"
#include "base/mem.h"
#include "services/seal.h"

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

/* What a zxcvbn match says about a password, for the message. */
static const char *match_reason(ZxcTypeMatch_t type)
{
    switch ((int)type & ~(int)MULTIPLE_MATCH) {
    case DICTIONARY_MATCH:
    case DICT_LEET_MATCH:
        return "it is made of common passwords, words or names";
    case USER_MATCH:
    case USER_LEET_MATCH:
        return "it contains the username";
    case REPEATS_MATCH:
        return "it repeats characters or words";
    case SEQUENCE_MATCH:
        return "it contains a sequence such as abcd or 1234";
    case SPATIAL_MATCH:
        return "it follows a keyboard pattern";
    case DATE_MATCH:
    case YEAR_MATCH:
        return "it contains a date or a year";
    default:
        return "it is short";
    }
}

const char *jotd_password_weakness(const jotd_config *cfg, const char *pw, const char *username, char *why,
                                   size_t n)
{
    if (cfg->password_min_bits == 0)
        return NULL;
    const char *dict[] = {username, "jotd", NULL};
    ZxcMatch_t *info = NULL;
    double bits = ZxcvbnMatch(pw, dict, &info);
    if (bits >= (double)cfg->password_min_bits) {
        ZxcvbnFreeInfo(info);
        return NULL;
    }
    /* The reason: the kind of pattern that covers most of it. */
    int best = 0;
    ZxcTypeMatch_t type = BRUTE_MATCH;
    for (ZxcMatch_t *m = info; m; m = m->Next) {
        if ((m->Type & ~MULTIPLE_MATCH) != BRUTE_MATCH && m->Length > best) {
            best = m->Length;
            type = m->Type;
        }
    }
    ZxcvbnFreeInfo(info);
    snprintf(why, n,
             "the password is too easy to guess (about 2^%.0f guesses, at least 2^%u wanted): %s; a few unrelated "
             "words or a longer phrase will do",
             bits < 0 ? 0.0 : bits, cfg->password_min_bits, match_reason(type));
    return why;
}

int jotd_password_needs_rehash(const jotd_config *cfg, const char *encoded)
{
    char want[96];
    snprintf(want, sizeof want, "$argon2id$v=%d$m=%u,t=%u,p=%u$", ARGON2_VERSION_NUMBER, cfg->argon2_memory,
             cfg->argon2_iterations, cfg->argon2_parallelism);
    return strncmp(encoded, want, strlen(want)) != 0;
}
