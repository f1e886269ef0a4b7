/*
 * server/endpoints/api_tokens.c - API tokens: POST /api-tokens,
 * GET /api-tokens, DELETE /api-tokens/{id}.
 *
 * An API token is a long-lived bearer token a user makes for a script or a
 * service: a JWT of typ "api+jwt" signed like the access tokens (so that a
 * resource server holding the JWKS can verify it too) and told apart from
 * them by its typ (RFC 8725 3.11). Its jti is its id. The store keeps its
 * SHA-256 and its metadata, never its text: it is shown once, in the answer
 * that creates it.
 *
 * Revocation works as for logins (services/revoke.h): /verify never waits
 * on the store. The last use of a token is noted by /verify and written to
 * the store every few seconds (services/usage.h).
 *
 * Only an access token from a login may create, list or revoke API tokens:
 * an API token cannot make more of itself, and a refresh token is for
 * /token alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/endpoints.h"

#define SCOPES_MAX 32
#define SCOPE_LEN_MAX 64









/* ---- Request parameters ------------------------------------------------- */

/* RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static int scope_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

typedef struct scope_set {
    char out[JOTD_API_SCOPES_MAX + 1]; /* space-separated */
    size_t len;
    unsigned count;
} scope_set;

/* Add one scope token (s, n); a repeated one is taken once. NULL, or why
 * it is refused. */
static const char *scope_add(scope_set *ss, const char *s, size_t n)
{
    if (n == 0 || n > SCOPE_LEN_MAX)
        return "scopes: each scope is 1 to 64 characters";
    for (size_t i = 0; i < n; i++)
        if (!scope_char((unsigned char)s[i]))
            return "scopes: a scope is printable ASCII without space, '\"' or '\\' (RFC 6749 3.3)";
    for (const char *p = ss->out; *p;) {
        size_t l = strcspn(p, " ");
        if (l == n && memcmp(p, s, n) == 0)
            return NULL;
        p += l + (p[l] == ' ');
    }
    if (++ss->count > SCOPES_MAX)
        return "scopes: at most 32 scopes";
    if (ss->len + (ss->len ? 1 : 0) + n > JOTD_API_SCOPES_MAX)
        return "scopes: too long altogether (512 bytes)";
    if (ss->len)
        ss->out[ss->len++] = ' ';
    memcpy(ss->out + ss->len, s, n);
    ss->len += n;
    ss->out[ss->len] = '\0';
    return NULL;
}

/* "a b c" (RFC 6749 3.3's form). */
static const char *scopes_from_string(scope_set *ss, const char *s)
{
    while (*s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        if (n) {
            const char *why = scope_add(ss, s, n);
            if (why)
                return why;
        }
        s += n;
    }
    return NULL;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A JSON array of strings, as the HTTP layer's parser checked and kept it.
 * A scope can hold neither '"' nor '\\', so a string with an escape is a
 * bad scope anyway, and the scan need not decode any. */
static const char *scopes_from_array(scope_set *ss, const char *json)
{
    const char *bad = "scopes: an array of strings, or one space-separated string";
    const char *p = skip_ws(json);
    if (*p++ != '[')
        return bad;
    p = skip_ws(p);
    if (*p == ']')
        return *skip_ws(p + 1) ? bad : NULL;
    for (;;) {
        if (*p++ != '"')
            return bad;
        const char *end = p;
        while (*end && *end != '"' && *end != '\\')
            end++;
        if (*end != '"')
            return *end == '\\' ? "scopes: a scope is printable ASCII without space, '\"' or '\\' (RFC 6749 3.3)"
                                : bad;
        const char *why = scope_add(ss, p, (size_t)(end - p));
        if (why)
            return why;
        p = skip_ws(end + 1);
        if (*p == ']')
            return *skip_ws(p + 1) ? bad : NULL;
        if (*p++ != ',')
            return bad;
        p = skip_ws(p);
    }
}

static const char *parse_scopes(const jotd_req *r, scope_set *ss)
{
    memset(ss, 0, sizeof *ss);
    const jotd_param *p = jotd_params_get(jotd_req_params(r), "scopes");
    if (!p || p->kind == JOTD_P_NULL)
        return NULL;
    if (p->kind == JOTD_P_STRING)
        return scopes_from_string(ss, p->value);
    if (p->kind == JOTD_P_OTHER && p->value)
        return scopes_from_array(ss, p->value);
    if (p->kind == JOTD_P_OTHER)
        return "scopes: give them as one space-separated string (\"read write\")";
    return "scopes: an array of strings, or one space-separated string";
}

/* expires_in: whole seconds (a JSON number), or a duration string ("30d"). */
static const char *parse_expires_in(const jotd_req *r, int64_t *out)
{
    *out = JOTD_API_TTL_DEFAULT;
    const jotd_param *p = jotd_params_get(jotd_req_params(r), "expires_in");
    if (!p || p->kind == JOTD_P_NULL)
        return NULL;
    int64_t v = -1;
    if (p->kind == JOTD_P_NUMBER && p->value[0] != '-' && strspn(p->value, "0123456789") == p->value_len &&
        p->value_len <= 12)
        v = strtoll(p->value, NULL, 10);
    else if (p->kind == JOTD_P_STRING)
        v = jotd_parse_duration(p->value);
    else
        return "expires_in: whole seconds, or a duration such as \"30d\"";
    if (v < 1)
        return "expires_in: whole seconds from 1, or a duration such as \"30d\"";
    if (v > JOTD_API_TTL_MAX)
        return "expires_in: at most one year (31536000 seconds); the default is 90 days";
    *out = v;
    return NULL;
}

static const char *check_name(const char *name)
{
    if (!name)
        return "name: a string is required";
    size_t n = strlen(name);
    if (n == 0 || n > JOTD_API_NAME_MAX)
        return "name: 1 to 100 bytes";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return "name: no control characters";
    return NULL;
}

/* ---- Minting ------------------------------------------------------------ */

static char *mint_api(const jotd_app *a, const jotd_keysnap *ks, const jotd_user *u, const char *jti,
                      const char *scopes, int64_t now, int64_t exp)
{
    /* scope: RFC 8693 4.2, RFC 9068 2.2.3 */
    const char *more[] = {"client_id", a->cfg->client_id, "scope", *scopes ? scopes : NULL,
                          "role", u->role, "name", u->username, NULL};
    jotd_mint_spec m = {.typ = "api+jwt", .kid = ks->kid, .key = ks->signer, .alg = ks->alg,
                        .iss = a->cfg->issuer, .sub = u->id, .aud = a->cfg->audience, .jti = jti,
                        .iat = now, .exp = exp, .more = more};
    return jotd_mint(&m);
}

/* ---- JSON ----------------------------------------------------------------- */

/* "scopes":["a","b"] from "a b". */
static void json_scopes(jotd_buf *b, const char *scopes)
{
    jotd_buf_adds(b, "\"scopes\":[");
    int first = 1;
    for (const char *p = scopes; *p;) {
        size_t n = strcspn(p, " ");
        if (n) {
            if (!first)
                jotd_buf_adds(b, ",");
            jotd_buf_json_strn(b, p, n);
            first = 0;
        }
        p += n + (p[n] == ' ');
    }
    jotd_buf_adds(b, "]");
}

static void json_time_or_null(jotd_buf *b, const char *name, int64_t t)
{
    if (t)
        jotd_buf_printf(b, ",\"%s\":%lld", name, (long long)t);
    else
        jotd_buf_printf(b, ",\"%s\":null", name);
}

static void json_token(jotd_buf *b, const jotd_api_token *t, int64_t now)
{
    jotd_buf_adds(b, "{\"id\":");
    jotd_buf_json_str(b, t->id);
    jotd_buf_adds(b, ",\"name\":");
    jotd_buf_json_str(b, t->name);
    jotd_buf_adds(b, ",");
    json_scopes(b, t->scopes);
    jotd_buf_printf(b, ",\"created_at\":%lld,\"expires_at\":%lld", (long long)t->created_at,
                    (long long)t->expires_at);
    json_time_or_null(b, "last_used_at", t->last_used_at);
    json_time_or_null(b, "revoked_at", t->revoked_at);
    jotd_buf_printf(b, ",\"revoked\":%s,\"active\":%s}", t->revoked_at ? "true" : "false",
                    !t->revoked_at && t->expires_at > now ? "true" : "false");
}

/* ---- Handlers ------------------------------------------------------------- */

/* Whether the user may have one more live token. -1: the store failed. */
/* Why user_id may not create another API token now (NULL: it may), or
 * STORE_FAILED when the store cannot tell. */
static const char STORE_FAILED[] = "";
static const char *over_limit(jotd_app *a, const char *user_id, int64_t now)
{
    jotd_api_token *rows = NULL;
    size_t n = 0;
    if (jotd_store_api_token_list(a->store, user_id, &rows, &n) != JOTD_STORE_OK)
        return STORE_FAILED;
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        if (!rows[i].revoked_at && rows[i].expires_at > now)
            live++;
    free(rows);
    if (live >= JOTD_API_PER_USER)
        return "at most 100 live API tokens per user: revoke some first";
    if (n >= JOTD_API_ROWS_PER_USER)
        return "at most 1000 API tokens per user until revoked ones expire: create them with a shorter expires_in";
    return NULL;
}

void jotd_h_api_create(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_caller who;
    if (jotd_caller_auth(a, r, &who) != 0)
        return;
    const char *name = jotd_req_param(r, "name");
    const char *why = check_name(name);
    int64_t ttl = 0;
    scope_set ss;
    if (!why)
        why = parse_expires_in(r, &ttl);
    if (!why)
        why = parse_scopes(r, &ss);
    if (why) {
        jotd_resp_error(r, 400, "invalid_request", why);
        return;
    }
    int64_t now = jotd_now();
    const char *full = over_limit(a, who.sub, now);
    if (full == STORE_FAILED) {
        jotd_store_failed(r);
        return;
    }
    if (full) {
        jotd_resp_error(r, 400, "invalid_request", full);
        return;
    }
    jotd_user u;
    memset(&u, 0, sizeof u);
    jotd_store_rc rc = jotd_store_user_get(a->store, who.sub, &u);
    if (rc != JOTD_STORE_OK) {
        jotd_user_release(&u);
        if (rc == JOTD_STORE_NOT_FOUND) {
            jotd_resp_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
            jotd_resp_error(r, 401, "invalid_token", "the token's user does not exist");
        } else {
            jotd_store_failed(r);
        }
        return;
    }
    jotd_api_token row;
    memset(&row, 0, sizeof row);
    jotd_random_id(row.id);
    snprintf(row.user_id, sizeof row.user_id, "%s", u.id);
    snprintf(row.name, sizeof row.name, "%s", name);
    snprintf(row.scopes, sizeof row.scopes, "%s", ss.out);
    row.created_at = now;
    row.expires_at = now + ttl;
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    char *tok = mint_api(a, ks, &u, row.id, row.scopes, now, row.expires_at);
    /* The key stays published until this token expires (keys.h). */
    snprintf(row.kid, sizeof row.kid, "%s", ks->kid);
    jotd_keysnap_release(ks);
    jotd_user_release(&u);
    if (!tok) {
        jotd_resp_error(r, 500, "server_error", "cannot sign the token");
        return;
    }
    jotd_sha256(tok, strlen(tok), row.hash);
    rc = jotd_store_api_token_insert(a->store, &row);
    if (rc != JOTD_STORE_OK) {
        jot_wipe(tok, strlen(tok));
        jot_free(tok);
        jotd_store_failed(r);
        return;
    }
    jotd_buf b;
    jotd_buf_init(&b);
    jotd_buf_adds(&b, "{\"id\":");
    jotd_buf_json_str(&b, row.id);
    jotd_buf_adds(&b, ",\"name\":");
    jotd_buf_json_str(&b, row.name);
    jotd_buf_adds(&b, ",\"token\":");
    jotd_buf_json_str(&b, tok);
    jotd_buf_printf(&b, ",\"token_type\":\"Bearer\",\"created_at\":%lld,\"expires_at\":%lld,",
                    (long long)row.created_at, (long long)row.expires_at);
    json_scopes(&b, row.scopes);
    jotd_buf_adds(&b, "}");
    jot_wipe(tok, strlen(tok));
    jot_free(tok);
    jotd_req_note(r, "api_token_created");
    jotd_log("info", "API token created", "id", row.id, "sub", row.user_id, NULL);
    jotd_resp_json(r, 201, b.p);
    jotd_buf_release(&b);
}

void jotd_h_api_list(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_caller who;
    if (jotd_caller_auth(a, r, &who) != 0)
        return;
    jotd_api_token *rows = NULL;
    size_t n = 0;
    if (jotd_store_api_token_list(a->store, who.sub, &rows, &n) != JOTD_STORE_OK) {
        jotd_store_failed(r);
        return;
    }
    int64_t now = jotd_now();
    jotd_buf b;
    jotd_buf_init(&b);
    jotd_buf_adds(&b, "{\"api_tokens\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            jotd_buf_adds(&b, ",");
        json_token(&b, &rows[i], now);
    }
    jotd_buf_adds(&b, "]}");
    free(rows);
    jotd_resp_json(r, 200, b.p);
    jotd_buf_release(&b);
}

void jotd_h_api_delete(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    jotd_caller who;
    if (jotd_caller_auth(a, r, &who) != 0)
        return;
    jotd_store_rc rc = jotd_revoke_api_token(&a->rev, who.sub, jotd_req_path_segment(r), jotd_now());
    if (rc == JOTD_STORE_NOT_FOUND) {
        jotd_resp_error(r, 404, "not_found", "no such API token");
        return;
    }
    if (rc != JOTD_STORE_OK) {
        jotd_store_failed(r);
        return;
    }
    jotd_req_note(r, "api_token_revoked");
    jotd_resp_body(r, 204, NULL, NULL, 0);
}
