/*
 * server/services/usage.h - when each API token was last used: /verify
 * notes a use in memory (once per token per flush interval, a read lock in
 * the common case), and the periodic flush writes the uses to the store
 * (last_used_at, shown by GET /api-tokens) and deletes the rows of expired
 * tokens.
 */
#ifndef JOTD_SERVICES_USAGE_H
#define JOTD_SERVICES_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "services/revoked.h"
#include "store/store.h"

typedef struct jotd_usage {
    jotd_store *store;
    jotd_revoked *used; /* jti -> when, since the last flush */
    int64_t last_flush;
} jotd_usage;

void jotd_usage_init(jotd_usage *u, jotd_store *store, int64_t now);
void jotd_usage_release(jotd_usage *u);
/* /verify accepted the API token jti (len bytes) at now. */
void jotd_usage_note(jotd_usage *u, const char *jti, size_t len, int64_t now);
/* Periodic (one thread): the uses to the store every few seconds. */
void jotd_usage_flush(jotd_usage *u, int64_t now);

#endif
