/*
 * server/services/revoke.h - revocations: of logins (refresh families,
 * whose access tokens carry their id as sid) and of API tokens (by jti).
 *
 * A revocation goes to the store (its rows, and the revocation log of
 * store.h) and to sets in memory that the verifiers' hooks consult, so that
 * /verify refuses at once without asking the store. The log brings other
 * processes' revocations into the sets: read by number from where the last
 * read stopped, at start, on every tick (jotd_revocations_poll), and at
 * once when the store notifies (PostgreSQL). An entry stays until the last
 * token it covers has expired.
 */
#ifndef JOTD_SERVICES_REVOKE_H
#define JOTD_SERVICES_REVOKE_H

#include <pthread.h>
#include <stdint.h>

#include <jot/jot.h>

#include "config.h"
#include "services/metrics.h"
#include "services/revoked.h"
#include "store/store.h"

typedef struct jotd_revocations {
    const jotd_config *cfg;
    jotd_store *store;
    jotd_metrics *metrics;
    jotd_revoked *families; /* revoked sids, until their access tokens expire */
    jotd_revoked *api;      /* revoked API tokens' jtis, until they expire */
    pthread_mutex_t poll_lock; /* one reader of the log at a time: */
    int64_t cursor;            /* the newest number read */
} jotd_revocations;

/* Read every revocation still in force and start following the log. -1
 * when the store fails (rv is then released). */
int jotd_revocations_open(jotd_revocations *rv, const jotd_config *cfg, jotd_store *store, jotd_metrics *m);
/* Stop following (no notification runs after it) and free the sets. */
void jotd_revocations_close(jotd_revocations *rv);
/* Read the log from where the last read stopped (any thread). -1 when the
 * store fails. */
int jotd_revocations_poll(jotd_revocations *rv);
/* Forget entries whose tokens have all expired. */
void jotd_revocations_sweep(jotd_revocations *rv, int64_t now);

/* Revoke a family (reason "logout", "reuse" or "revoke"): the store, then
 * the set, which takes it even when the store failed (the answer then says
 * so, and the client tries again). As jotd_store_family_revoke. */
jotd_store_rc jotd_revoke_family(jotd_revocations *rv, const char *sid, const char *reason, int64_t now);
/* Revoke the API token jti of user_id: as jotd_store_api_token_revoke
 * (another user's token is NOT_FOUND). */
jotd_store_rc jotd_revoke_api_token(jotd_revocations *rv, const char *user_id, const char *jti, int64_t now);

/* The verifiers' check hooks (ctx: the jotd_revocations): a revoked sid,
 * a revoked API token's jti. */
jot_status jotd_check_revoked(const jot_claims *claims, void *ctx);
jot_status jotd_check_api_revoked(const jot_claims *claims, void *ctx);

#endif
