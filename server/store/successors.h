/*
 * server/store/successors.h - the sealed successors of the grace window,
 * kept in memory by the SQLite backend (sqlite.c; the PostgreSQL one keeps
 * them in its rows, since several jotd share its database).
 *
 * For each refresh token spent within the grace window: its successor
 * sealed under the master key, who spent it (spent_by), and how many grace
 * answers were given for it, by the token's (family, jti), until the
 * window has passed. None of it is ever written to the file: it is needed
 * for seconds, and the file then never holds a usable token, even in WAL
 * pages not yet overwritten.
 *
 * Not locked: the caller holds one lock around every call and around the
 * commit that spends the token, so that whoever reads the spent row next
 * finds its sealed successor too.
 */
#ifndef JOTD_STORE_SUCCESSORS_H
#define JOTD_STORE_SUCCESSORS_H

#include <stdint.h>

#include "store.h"

typedef struct jotd_successor_cache jotd_successor_cache;

jotd_successor_cache *jotd_successor_cache_new(void);
/* Wipes every sealed successor. NULL is ok. */
void jotd_successor_cache_free(jotd_successor_cache *m);

/* Keep succ->sealed (a copy) and succ->spent_by for the token (family_id,
 * jti), spent at spent_at, until succ->sealed_until. Beyond a million
 * entries nothing more is kept: a grace window is then not offered, and
 * a race of two tabs counts as reuse, the safe side. */
void jotd_successor_cache_put(jotd_successor_cache *m, const char *family_id, const char *jti, int64_t spent_at,
                              const jotd_successor *succ);

/* When the token (family_id, jti) has one, fill info's successor_sealed
 * (a copy, which jotd_refresh_info_release frees), spent_by and
 * grace_used from it; otherwise leave info as it is. */
void jotd_successor_cache_read(jotd_successor_cache *m, const char *family_id, const char *jti,
                               jotd_refresh_info *info);

/* Count one grace answer for the token (family_id, jti): as
 * jotd_store_refresh_grace (OK, CONFLICT once max were given, NOT_FOUND
 * when it has no sealed successor). */
jotd_store_rc jotd_successor_cache_grace(jotd_successor_cache *m, const char *family_id, const char *jti,
                                         unsigned max);

/* Forget the successors of tokens spent before grace_end. */
void jotd_successor_cache_purge(jotd_successor_cache *m, int64_t grace_end);

#endif
