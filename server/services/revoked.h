/*
 * server/services/revoked.h - a set of ids, each with a time, held in
 * memory: the revoked logins (sids) and API tokens (jtis) of revoke.h,
 * each until its time (when the last token it covers has expired), and the
 * API tokens' last uses of usage.h. Readers never block each other.
 */
#ifndef JOTD_SERVICES_REVOKED_H
#define JOTD_SERVICES_REVOKED_H

#include <stddef.h>
#include <stdint.h>

typedef struct jotd_revoked jotd_revoked;

jotd_revoked *jotd_revoked_new(void);
void jotd_revoked_free(jotd_revoked *r);
/* Add (or extend) sid until drop_at. */
void jotd_revoked_add(jotd_revoked *r, const char *sid, int64_t drop_at);
int jotd_revoked_has(jotd_revoked *r, const char *sid, size_t len);
/* Drop the entries whose time has come. */
void jotd_revoked_sweep(jotd_revoked *r, int64_t now);
size_t jotd_revoked_count(jotd_revoked *r);
/* Hand every entry to cb (its key and time) and empty the set. The set is
 * also used as a plain map from an id to a time: the API tokens seen by
 * /verify since the last flush (apitokens.c). cb runs under the set's
 * lock: it must not call back into the set. */
void jotd_revoked_drain(jotd_revoked *r, void (*cb)(const char *key, int64_t t, void *ctx), void *ctx);

#endif
