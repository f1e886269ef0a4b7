/*
 * server/services/vcache.h - a bounded cache of access tokens that /verify has
 * verified, so that a token presented again (a browser calling an API
 * behind nginx auth_request does so on every request) is answered without
 * a second signature verification.
 *
 * An entry is found through a hash of the token's signature and matches
 * only the exact token text (every byte compared): a cached signature never
 * vouches for other claims. It answers until the token's exp, as the
 * verifier would (no leeway); the caller still checks the revoked set on
 * every hit. A cache belongs to one key snapshot (keys.h): when the keys
 * change, the snapshot and its cache go together, so a key that stopped
 * being trusted cannot be vouched for by the cache.
 *
 * Bounded: a fixed number of entries in sets of four, the least recently
 * used of a set giving way. Safe from any number of threads (striped
 * locks; a hit copies a few bytes and takes a reference).
 */
#ifndef JOTD_SERVICES_VCACHE_H
#define JOTD_SERVICES_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define JOTD_VCACHE_SID_MAX 64
#define JOTD_VCACHE_TOKEN_MAX 4096

typedef struct jotd_vcache jotd_vcache;

/* A cache of about `entries` tokens (rounded up to a power of two); seed
 * keys its hash. */
jotd_vcache *jotd_vcache_new(size_t entries, uint64_t seed);
void jotd_vcache_free(jotd_vcache *c);

/* On a hit (this exact token was put, and now < its exp): 1, with a new
 * reference to its response in *resp (release it with
 * jotd_shared_resp_release, or hand it to jotd_resp_shared first) and its
 * sid in sid (NUL-terminated). 0 on a miss. */
int jotd_vcache_get(jotd_vcache *c, const char *token, size_t len, int64_t now, jotd_shared_resp **resp,
                    char sid[JOTD_VCACHE_SID_MAX]);

/* Remember a token that verified, with its exp, sid and the response to
 * give for it (the cache takes its own reference). Tokens longer than
 * JOTD_VCACHE_TOKEN_MAX, or with a longer sid, are not kept. */
void jotd_vcache_put(jotd_vcache *c, const char *token, size_t len, int64_t exp, const char *sid,
                     jotd_shared_resp *resp, int64_t now);

#endif
