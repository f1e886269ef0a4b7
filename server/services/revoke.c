/* server/services/revoke.c - see revoke.h */
#include "services/revoke.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "services/keyring.h"
#include "services/seal.h"

/* One revocation from the log into the in-memory sets. A family's stays
 * as long as the revoking jotd said its access tokens live, or as long as
 * this one's access-ttl says, whichever is longer: a restart with a lower
 * access-ttl must not let older, longer-lived tokens back in. */
static void add_revoked(jotd_revocation_kind kind, const char *id, int64_t revoked_at, int64_t until, void *ctx)
{
    jotd_revocations *rv = ctx;
    if (kind == JOTD_REVOKED_API) {
        jotd_revoked_add(rv->api, id, until);
        return;
    }
    int64_t ours = revoked_at + rv->cfg->access_ttl + JOTD_KEY_SLACK;
    jotd_revoked_add(rv->families, id, until > ours ? until : ours);
}

int jotd_revocations_poll(jotd_revocations *rv)
{
    pthread_mutex_lock(&rv->poll_lock);
    jotd_store_rc rc = jotd_store_revocations(rv->store, &rv->cursor, jotd_now(), add_revoked, rv);
    pthread_mutex_unlock(&rv->poll_lock);
    return rc == JOTD_STORE_OK ? 0 : -1;
}

static void revocation_notified(void *ctx)
{
    jotd_revocations_poll(ctx);
}

int jotd_revocations_open(jotd_revocations *rv, const jotd_config *cfg, jotd_store *store, jotd_metrics *m)
{
    memset(rv, 0, sizeof *rv);
    rv->cfg = cfg;
    rv->store = store;
    rv->metrics = m;
    rv->families = jotd_revoked_new();
    rv->api = jotd_revoked_new();
    pthread_mutex_init(&rv->poll_lock, NULL);
    /* Every revocation still in force, from the start of the log. */
    if (jotd_revocations_poll(rv) != 0) {
        jotd_revocations_close(rv);
        return -1;
    }
    /* Revocations by other jotd on the store reach this one at once where
     * the store can say so (PostgreSQL), and by the periodic poll anyway. */
    jotd_store_watch_revocations(store, revocation_notified, rv);
    return 0;
}

void jotd_revocations_close(jotd_revocations *rv)
{
    if (!rv->families)
        return;
    jotd_store_watch_revocations(rv->store, NULL, NULL);
    jotd_revoked_free(rv->families);
    jotd_revoked_free(rv->api);
    pthread_mutex_destroy(&rv->poll_lock);
    rv->families = rv->api = NULL;
}

void jotd_revocations_sweep(jotd_revocations *rv, int64_t now)
{
    jotd_revoked_sweep(rv->families, now);
    jotd_revoked_sweep(rv->api, now);
}

jotd_store_rc jotd_revoke_family(jotd_revocations *rv, const char *sid, const char *reason, int64_t now)
{
    /* The family's access tokens all expire within access-ttl (plus the
     * key slack for clock and reload): the revocation is in force until
     * then, here and, through the store's log, on every jotd. */
    int64_t until = now + rv->cfg->access_ttl + JOTD_KEY_SLACK;
    jotd_store_rc rc = jotd_store_family_revoke(rv->store, sid, now, reason, until);
    /* Into the in-memory set even if the store failed: /verify must refuse
     * the family's access tokens at once. */
    jotd_revoked_add(rv->families, sid, until);
    if (rc == JOTD_STORE_OK) {
        int which = strcmp(reason, "reuse") == 0    ? JOTD_REVOKE_REUSE
                    : strcmp(reason, "logout") == 0 ? JOTD_REVOKE_LOGOUT
                                                    : JOTD_REVOKE_REVOKE;
        jotd_metrics_inc(&rv->metrics->revocations[which]);
        jotd_log("info", "session revoked", "sid", sid, "reason", reason, NULL);
    }
    return rc;
}

/* Refuse a token whose claim name is in set. */
static jot_status check_in(jotd_revoked *set, const jot_claims *claims, const char *name)
{
    const char *id;
    size_t len;
    if (jot_claims_string(claims, name, &id, &len) != JOT_OK)
        return JOT_E_MISSING_CLAIM;
    return jotd_revoked_has(set, id, len) ? JOT_E_REVOKED : JOT_OK;
}

jot_status jotd_check_revoked(const jot_claims *claims, void *ctx)
{
    return check_in(((jotd_revocations *)ctx)->families, claims, "sid");
}

jot_status jotd_check_api_revoked(const jot_claims *claims, void *ctx)
{
    return check_in(((jotd_revocations *)ctx)->api, claims, "jti");
}

jotd_store_rc jotd_revoke_api_token(jotd_revocations *rv, const char *user_id, const char *jti, int64_t now)
{
    jotd_api_token t;
    jotd_store_rc rc = jotd_id_valid(jti) ? jotd_store_api_token_get(rv->store, jti, &t) : JOTD_STORE_NOT_FOUND;
    /* Another user's token is answered like an unknown one. */
    if (rc == JOTD_STORE_OK && strcmp(t.user_id, user_id) != 0)
        rc = JOTD_STORE_NOT_FOUND;
    if (rc == JOTD_STORE_OK)
        rc = jotd_store_api_token_revoke(rv->store, user_id, jti, now);
    if (rc == JOTD_STORE_OK) {
        /* At once on this jotd; others read it from the revocation log. */
        jotd_revoked_add(rv->api, t.id, t.expires_at + JOTD_STORE_API_SLACK);
        jotd_log("info", "API token revoked", "id", t.id, "sub", t.user_id, NULL);
    }
    return rc;
}
