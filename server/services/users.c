/* server/services/users.c - see users.h */
#include "services/users.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "services/passwords.h"
#include "services/seal.h"

/* 1..64 of A-Z a-z 0-9 and the characters of extra. */
static int valid_name(const char *s, const char *extra)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(extra, c)))
            return 0;
    }
    return 1;
}

int jotd_valid_username(const char *s)
{
    return valid_name(s, "._@-");
}

int jotd_valid_role(const char *s)
{
    return valid_name(s, "._-");
}

int jotd_user_add(const jotd_config *cfg, jotd_store *store, const char *username, const char *role,
                       const char *password, size_t password_len, char *id_out, size_t id_len, char *err,
                       size_t errlen)
{
    if (!jotd_valid_username(username)) {
        snprintf(err, errlen, "bad username: 1 to 64 of A-Z a-z 0-9 . _ @ -");
        return -1;
    }
    if (!jotd_valid_role(role)) {
        snprintf(err, errlen, "bad role: 1 to 64 of A-Z a-z 0-9 . _ -");
        return -1;
    }
    if (password_len < JOTD_PASSWORD_MIN || password_len > JOTD_PASSWORD_MAX ||
        memchr(password, '\0', password_len)) {
        snprintf(err, errlen, "the password must be 8 to 1024 bytes (without NUL)");
        return -1;
    }
    char *pw = jotd_xstrndup(password, password_len);
    const char *weak = jotd_password_weakness(cfg, pw, username, err, errlen);
    jotd_free_secret(pw);
    if (weak)
        return -1;
    jotd_user u;
    memset(&u, 0, sizeof u);
    jotd_random_uuid(u.id);
    snprintf(u.username, sizeof u.username, "%s", username);
    snprintf(u.role, sizeof u.role, "%s", role);
    u.created_at = jotd_now();
    u.password_hash = jotd_password_hash(cfg, password, password_len);
    if (!u.password_hash) {
        snprintf(err, errlen, "cannot hash the password");
        return -1;
    }
    jotd_store_rc rc = jotd_store_user_insert(store, &u);
    if (rc == JOTD_STORE_OK)
        snprintf(id_out, id_len, "%s", u.id);
    jotd_user_release(&u);
    if (rc == JOTD_STORE_EXISTS) {
        snprintf(err, errlen, "user %s exists already", username);
        return -1;
    }
    if (rc != JOTD_STORE_OK) {
        snprintf(err, errlen, "cannot store the user");
        return -1;
    }
    return 0;
}
