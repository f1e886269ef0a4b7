/*
 * server/endpoints/sessions.c - a user's logins: GET /sessions,
 * DELETE /sessions/{id}, POST /sessions/revoke-others.
 *
 * A session is a refresh family: one login, its chain of refresh tokens,
 * and the access tokens issued under it (their sid). Revoking one is what
 * logout does: the store, then the in-memory set /verify consults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/endpoints.h"



static void json_session(jotd_buf *b, const jotd_session *x, const char *current_sid)
{
    const jotd_family *f = &x->family;
    jotd_buf_adds(b, "{\"id\":");
    jotd_buf_json_str(b, f->id);
    jotd_buf_printf(b, ",\"created_at\":%lld,\"last_used_at\":%lld,\"expires_at\":%lld", (long long)f->created_at,
                    (long long)x->last_used_at, (long long)f->expires_at);
    jotd_buf_adds(b, ",\"client_addr\":");
    jotd_buf_json_str(b, f->client_addr);
    jotd_buf_adds(b, ",\"user_agent\":");
    jotd_buf_json_str(b, f->user_agent);
    jotd_buf_printf(b, ",\"current\":%s}", strcmp(f->id, current_sid) == 0 ? "true" : "false");
}

/* The time a listing compares the logins' expiries with: the recorded
 * expiry of a login's newest refresh token may lag the real one by the
 * touch slack (the family row is not rewritten on every rotation), and a
 * login that can still refresh must be listed, and revocable. */
static int64_t listed_since(const jotd_app *a, int64_t now)
{
    return now - jotd_touch_slack(a->cfg);
}


void jotd_h_sessions_list(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_caller who;
    if (jotd_caller_auth(a, r, &who) != 0)
        return;
    jotd_session *rows = NULL;
    size_t n = 0;
    if (jotd_store_session_list(a->store, who.sub, listed_since(a, jotd_now()), &rows, &n) != JOTD_STORE_OK) {
        jotd_store_failed(r);
        return;
    }
    jotd_buf b;
    jotd_buf_init(&b);
    jotd_buf_adds(&b, "{\"sessions\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        /* A login revoked while the store failed to record it is in the
         * in-memory set only: it is gone all the same. */
        if (jotd_revoked_has(a->rev.families, rows[i].family.id, strlen(rows[i].family.id)))
            continue;
        if (shown++)
            jotd_buf_adds(&b, ",");
        json_session(&b, &rows[i], who.sid);
    }
    jotd_buf_adds(&b, "]}");
    free(rows);
    jotd_resp_json(r, 200, b.p);
    jotd_buf_release(&b);
}

void jotd_h_session_delete(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_caller who;
    if (jotd_caller_auth(a, r, &who) != 0)
        return;
    const char *id = jotd_req_path_segment(r);
    jotd_session x;
    jotd_store_rc rc = jotd_id_valid(id) ? jotd_store_session_get(a->store, id, &x) : JOTD_STORE_NOT_FOUND;
    if (rc == JOTD_STORE_OK && strcmp(x.family.user_id, who.sub) != 0)
        rc = JOTD_STORE_NOT_FOUND; /* another user's login: as if unknown */
    if (rc == JOTD_STORE_NOT_FOUND) {
        jotd_resp_error(r, 404, "not_found", "no such session");
        return;
    }
    if (rc != JOTD_STORE_OK) {
        jotd_store_failed(r);
        return;
    }
    /* Revoking one's own current login is a logout; revoking one already
     * revoked changes nothing and is answered the same. */
    if (!x.revoked_at && jotd_revoke_family(&a->rev, x.family.id, "revoke", jotd_now()) == JOTD_STORE_ERROR) {
        jotd_store_failed(r);
        return;
    }
    jotd_req_note(r, "session_revoked");
    jotd_resp_body(r, 204, NULL, NULL, 0);
}

void jotd_h_sessions_revoke_others(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_caller who;
    if (jotd_caller_auth(a, r, &who) != 0)
        return;
    int64_t now = jotd_now();
    unsigned revoked = 0;
    int failed = 0;
    /* A listing holds at most JOTD_SESSION_LIST_MAX logins: list again
     * until one comes back with room to spare (the revoked ones are no
     * longer listed), a bounded number of times. */
    size_t n = JOTD_SESSION_LIST_MAX;
    for (int pass = 0; !failed && n >= JOTD_SESSION_LIST_MAX && pass < 100; pass++) {
        jotd_session *rows = NULL;
        if (jotd_store_session_list(a->store, who.sub, listed_since(a, now), &rows, &n) != JOTD_STORE_OK) {
            failed = 1;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (strcmp(rows[i].family.id, who.sid) == 0)
                continue;
            if (jotd_revoke_family(&a->rev, rows[i].family.id, "revoke", now) == JOTD_STORE_ERROR)
                failed = 1;
            else
                revoked++;
        }
        free(rows);
    }
    if (failed) {
        jotd_store_failed(r);
        return;
    }
    char body[64];
    snprintf(body, sizeof body, "{\"revoked\":%u}", revoked);
    jotd_req_note(r, "sessions_revoked");
    jotd_resp_json(r, 200, body);
}
