/*
 * server/endpoints/login.c - POST /signup and POST /login.
 *
 * Both hash a password, which takes tens of milliseconds and 19 MiB: the
 * handler checks the input on the HTTP thread, suspends the request and hands
 * it to the password pool; the pool thread does the store work, answers and
 * resumes the request. A full pool answers 503 at once.
 *
 * Login reveals nothing about which accounts exist: an unknown user costs
 * one argon2id verification against a dummy hash made with the same
 * parameters at start, and gets the same answer as a wrong password.
 */
#include <stdlib.h>
#include <string.h>

#include "endpoints/endpoints.h"

typedef struct pw_job {
    jotd_job job;
    jotd_app *a;
    jotd_req *req;
    char username[72];
    char *password;
    size_t password_len;
    int in_body;
    char client[64];
    char user_agent[256];
} pw_job;

static void job_free(pw_job *j)
{
    if (j->password) {
        jot_wipe(j->password, j->password_len);
        free(j->password);
    }
    free(j);
}

/* Read and check username and password; answers 400 and returns -1 when
 * they are missing or malformed. */
static int read_credentials(jotd_req *r, const char **user, const char **pw, size_t *pwlen)
{
    const jotd_param *u = jotd_params_get(jotd_req_params(r), "username");
    const jotd_param *p = jotd_params_get(jotd_req_params(r), "password");
    if (!u || !p || u->kind != JOTD_P_STRING || p->kind != JOTD_P_STRING) {
        jotd_resp_error(r, 400, "invalid_request", "username and password (strings) are required");
        return -1;
    }
    if (!jotd_valid_username(u->value)) {
        jotd_resp_error(r, 400, "invalid_request", "username: 1 to 64 of A-Z a-z 0-9 . _ @ -");
        return -1;
    }
    if (p->value_len < JOTD_PASSWORD_MIN || p->value_len > JOTD_PASSWORD_MAX) {
        jotd_resp_error(r, 400, "invalid_request", "password: 8 to 1024 bytes");
        return -1;
    }
    *user = u->value;
    *pw = p->value;
    *pwlen = p->value_len;
    return 0;
}

static pw_job *job_new(jotd_app *a, jotd_req *r, const char *user, const char *pw, size_t pwlen)
{
    pw_job *j = jotd_xcalloc(1, sizeof *j);
    j->a = a;
    j->req = r;
    snprintf(j->username, sizeof j->username, "%s", user);
    j->password = jotd_xstrndup(pw, pwlen);
    j->password_len = pwlen;
    jotd_client_addr(a, r, j->client, sizeof j->client);
    const char *ua = jotd_req_header(r, "User-Agent");
    jotd_utf8_copy(j->user_agent, sizeof j->user_agent, ua ? ua : "");
    return j;
}

/* Suspend the request and queue the job; a full queue answers 503. */
static int submit(jotd_app *a, jotd_req *r, pw_job *j)
{
    jotd_req_suspend(r);
    if (jotd_pool_submit(a->pool, &j->job) == 0)
        return 0;
    jotd_resp_header(r, "Retry-After", "1");
    jotd_resp_error(r, 503, "temporarily_unavailable", "too many logins at once; try again shortly");
    jotd_req_note(r, "hash_queue_full");
    jotd_req_resume(r);
    return -1;
}

/* 429 with Retry-After: a limit of throttle.h refused the request. */
static void throttled(jotd_req *r, unsigned retry_after, const char *why, const char *note)
{
    char ra[16];
    snprintf(ra, sizeof ra, "%u", retry_after);
    jotd_resp_header(r, "Retry-After", ra);
    jotd_resp_error(r, 429, "too_many_requests", why);
    jotd_req_note(r, note);
}

/* ---- POST /signup ------------------------------------------------------ */

static void signup_run(jotd_job *job)
{
    pw_job *j = (pw_job *)job;
    jotd_app *a = j->a;
    jotd_req *r = j->req;
    jotd_user u;
    char why[256];
    if (jotd_password_weakness(a->cfg, j->password, j->username, why, sizeof why)) {
        jotd_metrics_inc(&a->metrics.signups[JOTD_SIGNUP_WEAK]);
        jotd_resp_error(r, 400, "weak_password", why);
        goto out;
    }
    /* Signup necessarily says whether a name is taken, but a taken name
     * costs what a free one does (the hash is made either way, and the
     * insert tells), so that names cannot be tried faster than accounts
     * made; the per-address limit bounds both. */
    memset(&u, 0, sizeof u);
    jotd_random_uuid(u.id);
    snprintf(u.username, sizeof u.username, "%s", j->username);
    snprintf(u.role, sizeof u.role, "%s", a->cfg->default_role);
    u.created_at = jotd_now();
    u.password_hash = jotd_password_hash(a->cfg, j->password, j->password_len);
    if (!u.password_hash) {
        jotd_resp_error(r, 500, "server_error", "cannot hash the password");
        goto out;
    }
    jotd_store_rc rc = jotd_store_user_insert(a->store, &u);
    if (rc == JOTD_STORE_OK) {
        jotd_metrics_inc(&a->metrics.signups[JOTD_SIGNUP_CREATED]);
        jotd_buf b;
        jotd_buf_init(&b);
        jotd_buf_adds(&b, "{\"id\":");
        jotd_buf_json_str(&b, u.id);
        jotd_buf_adds(&b, ",\"username\":");
        jotd_buf_json_str(&b, u.username);
        jotd_buf_adds(&b, ",\"role\":");
        jotd_buf_json_str(&b, u.role);
        jotd_buf_adds(&b, "}");
        jotd_resp_json(r, 201, b.p);
        jotd_buf_release(&b);
        jotd_req_note(r, "user_created");
    } else if (rc == JOTD_STORE_EXISTS) {
        jotd_metrics_inc(&a->metrics.signups[JOTD_SIGNUP_CONFLICT]);
        jotd_resp_error(r, 409, "username_taken", "this username is taken");
    } else {
        jotd_store_failed(r);
    }
    jotd_user_release(&u);
out:
    jotd_req_resume(r);
    job_free(j);
}

void jotd_h_signup(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    if (!a->cfg->signup) {
        jotd_resp_error(r, 403, "access_denied", "signup is disabled on this server");
        return;
    }
    const char *user, *pw;
    size_t pwlen;
    if (read_credentials(r, &user, &pw, &pwlen) != 0)
        return;
    char client[64];
    unsigned retry_after;
    jotd_client_addr(a, r, client, sizeof client);
    if (jotd_throttle_signup(a->throttle, client, jotd_now(), &retry_after) != 0) {
        throttled(r, retry_after, "too many signups from this address; try again later", "signup_throttled");
        jotd_metrics_inc(&a->metrics.signups[JOTD_SIGNUP_THROTTLED]);
        return;
    }
    pw_job *j = job_new(a, r, user, pw, pwlen);
    j->job.run = signup_run;
    if (submit(a, r, j) != 0) {
        jotd_metrics_inc(&a->metrics.signups[JOTD_SIGNUP_OVERLOADED]);
        job_free(j);
    }
}

/* ---- POST /login ------------------------------------------------------- */

static void login_fail(pw_job *j, jotd_req *r)
{
    jotd_metrics_inc(&j->a->metrics.logins[JOTD_LOGIN_FAILURE]);
    jotd_req_note(r, "login_failed");
    jotd_resp_error(r, 401, "invalid_credentials", "wrong username or password");
}

/* A new family for user u: its first refresh token, the access token, the
 * response. */
static void start_session(pw_job *j, jotd_req *r, const jotd_user *u)
{
    jotd_app *a = j->a;
    const jotd_config *cfg = a->cfg;
    int64_t now = jotd_now();
    jotd_family f;
    memset(&f, 0, sizeof f);
    jotd_random_id(f.id);
    snprintf(f.user_id, sizeof f.user_id, "%s", u->id);
    f.created_at = now;
    f.expires_at = now + cfg->session_max;
    snprintf(f.client_addr, sizeof f.client_addr, "%s", j->client);
    snprintf(f.user_agent, sizeof f.user_agent, "%s", j->user_agent);

    jotd_refresh_new t;
    memset(&t, 0, sizeof t);
    jotd_random_id(t.jti);
    t.issued_at = now;
    t.expires_at = now + cfg->refresh_ttl < f.expires_at ? now + cfg->refresh_ttl : f.expires_at;

    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    char *refresh = jotd_mint_refresh(a->cfg, ks, u->id, f.id, t.jti, now, t.expires_at);
    int64_t access_exp = 0;
    char *access = refresh ? jotd_mint_access(a->cfg, ks, u, f.id, now, f.expires_at, &access_exp) : NULL;
    jotd_keysnap_release(ks);
    if (!refresh || !access) {
        jotd_resp_error(r, 500, "server_error", "cannot sign tokens");
    } else {
        jotd_sha256(refresh, strlen(refresh), t.hash);
        jotd_store_rc rc = jotd_store_session_create(a->store, &f, &t);
        if (rc == JOTD_STORE_OK) {
            jotd_metrics_inc(&a->metrics.logins[JOTD_LOGIN_SUCCESS]);
            jotd_token_response(r, access, access_exp, refresh, t.expires_at, j->in_body, now);
            jotd_req_note(r, "login");
        } else {
            jotd_store_failed(r);
        }
    }
    jot_free(refresh);
    jot_free(access);
}

static void login_run(jotd_job *job)
{
    pw_job *j = (pw_job *)job;
    jotd_app *a = j->a;
    jotd_req *r = j->req;
    jotd_user u;
    int outcome = JOTD_ATTEMPT_CANCELLED;
    jotd_store_rc rc = jotd_store_user_find(a->store, j->username, &u);
    if (rc != JOTD_STORE_OK && rc != JOTD_STORE_NOT_FOUND) {
        jotd_store_failed(r);
        goto out;
    }
    /* The same work whether or not the user exists. */
    const char *hash = rc == JOTD_STORE_OK ? u.password_hash : a->dummy_hash;
    int match = jotd_password_verify(hash, j->password, j->password_len);
    /* A hash made with older (cheaper) parameters is upgraded at the next
     * successful login; until then, checking it costs at least what a
     * current one does, so that the time of a wrong answer does not tell
     * dormant accounts apart. */
    if (hash != a->dummy_hash && jotd_password_needs_rehash(a->cfg, hash))
        (void)jotd_password_verify(a->dummy_hash, j->password, j->password_len);
    if (rc != JOTD_STORE_OK || !match) {
        outcome = JOTD_ATTEMPT_FAILED;
        login_fail(j, r);
        goto out;
    }
    outcome = JOTD_ATTEMPT_SUCCEEDED;
    if (jotd_password_needs_rehash(a->cfg, u.password_hash)) {
        /* The parameters were raised since this hash was made: upgrade it
         * now that the password is at hand. */
        char *h = jotd_password_hash(a->cfg, j->password, j->password_len);
        if (h && jotd_store_user_set_hash(a->store, u.id, h) == JOTD_STORE_OK)
            jotd_log("info", "password hash upgraded", "user", u.id, NULL);
        jotd_free_secret(h);
    }
    start_session(j, r, &u);
out:
    jotd_user_release(&u);
    jotd_throttle_end(a->throttle, j->username, j->client, outcome, jotd_now());
    jotd_req_resume(r);
    job_free(j);
}

void jotd_h_login(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    const char *user, *pw;
    size_t pwlen;
    if (read_credentials(r, &user, &pw, &pwlen) != 0)
        return;
    jotd_pkind rib = jotd_req_param_kind(r, "refresh_in_body");
    if (rib != JOTD_P_ABSENT && rib != JOTD_P_TRUE && rib != JOTD_P_FALSE) {
        jotd_resp_error(r, 400, "invalid_request", "refresh_in_body must be true or false");
        return;
    }
    unsigned delay_ms, retry_after;
    char client[64];
    jotd_client_addr(a, r, client, sizeof client);
    if (jotd_throttle_begin(a->throttle, user, client, jotd_now(), &delay_ms, &retry_after) != 0) {
        throttled(r, retry_after, "too many failed logins; try again later", "login_throttled");
        jotd_metrics_inc(&a->metrics.logins[JOTD_LOGIN_THROTTLED]);
        return;
    }
    pw_job *j = job_new(a, r, user, pw, pwlen);
    j->in_body = rib == JOTD_P_TRUE;
    j->job.run = login_run;
    if (delay_ms)
        j->job.not_before_ns = jotd_mono_ns() + (uint64_t)delay_ms * 1000000u;
    if (submit(a, r, j) != 0) {
        jotd_metrics_inc(&a->metrics.logins[JOTD_LOGIN_OVERLOADED]);
        /* Not an attempt: it must not count against the user. */
        jotd_throttle_end(a->throttle, j->username, j->client, JOTD_ATTEMPT_CANCELLED, jotd_now());
        job_free(j);
    }
}
