/*
 * fuzz_server: jotd's request handling, in process. Each input is one HTTP
 * request -- method, path, headers, body -- run through
 * jotd_http_handle_local: the same header limits, routing (404/405), body
 * limit, JSON/form parsing and handlers as a request from a socket, on a
 * real jotd_app over a temporary SQLite store with a seeded user
 * (argon2id at its cheapest, the login throttle out of the way). A login
 * suspends its request for the hashing pool; the call waits for it.
 *
 * Input (text):
 *     METHOD SP PATH LF
 *     NAME ":" VALUE LF        (any number, up to an empty line)
 *     LF
 *     BODY                     (the rest, any bytes)
 * A missing first line is "GET /". Anywhere in the path, headers and body,
 * the placeholders below are replaced before the request is made, so that
 * the seeds can reach the paths behind a valid token although every run
 * has new keys:
 *     @A@  an access token of a fresh login of the seeded user
 *     @R@  that login's refresh token
 * (the login is logged out after the input, so that the user's sessions do
 * not pile up from input to input).
 *     @U@  the seeded user's name, @P@ its password
 *
 * Properties (besides no crash, leak, UB or timeout):
 *  - the status is one the contract knows (200 201 204 400 401 403 404 405
 *    409 413 415 429 431 503); never 500;
 *  - a 4xx/5xx answer is application/json, a JSON object with exactly the
 *    members "error" (a non-empty [a-z_] code) and "error_description" (a
 *    string);
 *  - a JSON 2xx answer parses as a JSON object; a 204 has no body;
 *  - no answer echoes the password, nor an error answer the tokens given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "app.h"
#include "services/users.h"
#include "config.h"
#include "fuzz_common.h"
#include "http/http.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_USER "alice"
#define FZ_PASSWORD "fuzz-Password-0123"
#define MAX_HEADERS 80

static jotd_config g_cfg;
static jotd_store *g_store;
static jotd_app *g_auth;
static jotd_http *g_http;
static char g_dir[64];
static unsigned long g_runs;

static void setting(jotd_config_args *a, const char *name, const char *value)
{
    if (jotd_config_args_set(a, name, value) != 0)
        fz_fail(__FILE__, __LINE__, "setting", "unknown setting %s", name);
}

static void cleanup(void)
{
    if (g_auth)
        jotd_app_shutdown(g_auth);
    jotd_http_free(g_http);
    jotd_app_free(g_auth);
    jotd_store_close(g_store);
    jotd_config_release(&g_cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_server: could not remove %s\n", g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    umask(077);
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/fuzz_server.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(g_dir))
        fz_fail(__FILE__, __LINE__, "mkdtemp", "%s", strerror(errno));
    char store[128];
    snprintf(store, sizeof store, "%s/jotd.db", g_dir);

    jotd_config_args a;
    jotd_config_args_init(&a);
    setting(&a, "store", store);
    setting(&a, "listen", "127.0.0.1:8080");
    setting(&a, "argon2-memory", "8");
    setting(&a, "argon2-iterations", "1");
    setting(&a, "hash-workers", "1");
    setting(&a, "login-limit-user", "1000000");
    setting(&a, "login-limit-address", "1000000");
    setting(&a, "login-slow-after", "1000000");
    setting(&a, "log-requests", "off");
    char err[512];
    if (jotd_config_resolve(&a, &g_cfg, err, sizeof err) != 0)
        fz_fail(__FILE__, __LINE__, "config", "%s", err);
    if (jotd_store_open(g_cfg.store, &g_store, err, sizeof err) != JOTD_STORE_OK)
        fz_fail(__FILE__, __LINE__, "store", "%s", err);
    if (jotd_app_new(&g_cfg, g_store, &g_auth, err, sizeof err) != 0)
        fz_fail(__FILE__, __LINE__, "auth", "%s", err);
    char id[64];
    if (jotd_user_add(&g_cfg, g_store, FZ_USER, "user", FZ_PASSWORD, strlen(FZ_PASSWORD), id, sizeof id, err,
                           sizeof err) != 0)
        fz_fail(__FILE__, __LINE__, "user add", "%s", err);
    g_http = jotd_http_new();
    jotd_http_options o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.max_body = 16 * 1024;
    o.max_headers = 64;
    o.log_requests = 0;
    jotd_app_routes(g_auth, g_http, &o);
    jotd_http_set_options(g_http, &o);
    atexit(cleanup);
    return 0;
}

/* ---- A fresh login, for the placeholders ------------------------------- */

typedef struct tokens {
    char *access;
    char *refresh;
} tokens;

static void login(tokens *t)
{
    static const char body[] =
        "{\"username\":\"" FZ_USER "\",\"password\":\"" FZ_PASSWORD "\",\"refresh_in_body\":true}";
    jotd_http_header h[] = {{"Content-Type", "application/json"}};
    jotd_http_local_resp resp;
    jotd_http_handle_local(g_http, "POST", "/login", h, 1, body, sizeof body - 1, &resp);
    FZ_CHECK(resp.status == 200, "the seeded login answered %u: %s", resp.status, resp.body);
    json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
    FZ_CHECK(j != NULL, "login answer is not JSON");
    const char *at = json_string_value(json_object_get(j, "access_token"));
    const char *rt = json_string_value(json_object_get(j, "refresh_token"));
    FZ_CHECK(at && rt, "login answer without tokens: %s", resp.body);
    t->access = jotd_xstrdup(at);
    t->refresh = jotd_xstrdup(rt);
    json_decref(j);
    jotd_free_secret(resp.body);
}

/* End the fresh login (whatever the input did with it), so that the seeded
 * user's live sessions do not pile up run after run: a /sessions listing
 * them all would grow slower with every input, a timeout that says nothing
 * about the input at hand. */
static void logout(const tokens *t)
{
    char auth[4096];
    if (snprintf(auth, sizeof auth, "Bearer %s", t->access) >= (int)sizeof auth)
        return;
    jotd_http_header h[] = {{"Authorization", auth}};
    jotd_http_local_resp resp;
    jotd_http_handle_local(g_http, "POST", "/logout", h, 1, NULL, 0, &resp);
    jotd_free_secret(resp.body);
    jot_wipe(auth, sizeof auth);
}

/* data with every placeholder replaced (NUL-terminated, *len bytes). */
static char *expand(const uint8_t *data, size_t size, const tokens *t, size_t *len)
{
    jotd_buf b;
    jotd_buf_init(&b);
    size_t i = 0;
    while (i < size) {
        if (i + 3 <= size && data[i] == '@' && data[i + 2] == '@') {
            const char *v = NULL;
            switch (data[i + 1]) {
            case 'A': v = t->access; break;
            case 'R': v = t->refresh; break;
            case 'U': v = FZ_USER; break;
            case 'P': v = FZ_PASSWORD; break;
            default: break;
            }
            if (v) {
                jotd_buf_adds(&b, v);
                i += 3;
                continue;
            }
        }
        jotd_buf_add(&b, (const char *)data + i, 1);
        i++;
    }
    jotd_buf_add(&b, "", 0);
    *len = b.len;
    return jotd_buf_take(&b);
}

static int has_placeholder(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 2 < size; i++)
        if (data[i] == '@' && (data[i + 1] == 'A' || data[i + 1] == 'R') && data[i + 2] == '@')
            return 1;
    return 0;
}

/* ---- The request ------------------------------------------------------- */

typedef struct request {
    const char *method;
    const char *path;
    jotd_http_header headers[MAX_HEADERS];
    size_t nheaders;
    const char *body;
    size_t len;
} request;

/* Split text (modified in place) into a request. */
static void parse_request(char *text, size_t len, request *rq)
{
    memset(rq, 0, sizeof *rq);
    rq->method = "GET";
    rq->path = "/";
    char *end = text + len;
    char *nl = memchr(text, '\n', len);
    if (!nl) {
        rq->body = "";
        return;
    }
    *nl = '\0';
    char *sp = strchr(text, ' ');
    if (sp) {
        *sp = '\0';
        rq->method = text;
        rq->path = sp + 1;
    } else {
        rq->method = text;
    }
    char *p = nl + 1;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        *nl = '\0';
        if (*p == '\0') {
            p = nl + 1;
            break;
        }
        char *colon = strchr(p, ':');
        if (colon && rq->nheaders < MAX_HEADERS) {
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            rq->headers[rq->nheaders].name = p;
            rq->headers[rq->nheaders].value = v;
            rq->nheaders++;
        }
        p = nl + 1;
    }
    if (p > end)
        p = end;
    rq->body = p;
    rq->len = (size_t)(end - p);
}

/* ---- The properties ---------------------------------------------------- */

static int known_status(unsigned s)
{
    static const unsigned known[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 431, 503};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] == s)
            return 1;
    return 0;
}

static int error_code_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
            return 0;
    return 1;
}

static int contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || k > n)
        return 0;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return 1;
    return 0;
}

/* Whether the password appears in text only as a password: right after
 * "password":" or password= (elsewhere, in a user name say, an answer may
 * rightly repeat it). */
static int password_only_as_password(const char *text, size_t n)
{
    static const char *const before[] = {"\"password\":\"", "password="};
    size_t k = strlen(FZ_PASSWORD);
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(text + i, FZ_PASSWORD, k) != 0)
            continue;
        int ok = 0;
        for (size_t j = 0; j < 2; j++) {
            size_t b = strlen(before[j]);
            ok |= i >= b && memcmp(text + i - b, before[j], b) == 0;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static void check_response(const request *rq, const jotd_http_local_resp *r, const tokens *t, const char *text,
                           size_t text_len)
{
    FZ_CHECK(known_status(r->status), "%s %s: unknown or internal status %u: %.200s", rq->method, rq->path,
             r->status, r->body);
    /* GET /api-tokens shows the names the user gave earlier requests'
     * tokens, which may be any text, the password's included. */
    int lists_names = strcmp(rq->method, "GET") == 0 && strcmp(rq->path, "/api-tokens") == 0;
    FZ_CHECK(lists_names || !password_only_as_password(text, text_len) || !contains(r->body, r->len, FZ_PASSWORD),
             "%s %s: the answer holds the password", rq->method, rq->path);
    if (r->status >= 400) {
        FZ_CHECK(r->content_type && strcmp(r->content_type, "application/json") == 0,
                 "%s %s: error %u is not JSON (%s)", rq->method, rq->path, r->status,
                 r->content_type ? r->content_type : "no type");
        json_error_t je;
        json_t *j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);
        FZ_CHECK(j && json_is_object(j), "%s %s: error body is not a JSON object: %.200s", rq->method, rq->path,
                 r->body);
        FZ_CHECK(json_object_size(j) == 2, "%s %s: error body has other members: %.200s", rq->method, rq->path,
                 r->body);
        FZ_CHECK(error_code_ok(json_string_value(json_object_get(j, "error"))), "%s %s: bad error code: %.200s",
                 rq->method, rq->path, r->body);
        FZ_CHECK(json_is_string(json_object_get(j, "error_description")), "%s %s: no error_description: %.200s",
                 rq->method, rq->path, r->body);
        json_decref(j);
        if (t->access) {
            FZ_CHECK(!contains(r->body, r->len, t->access), "%s %s: an error echoes the access token",
                     rq->method, rq->path);
            FZ_CHECK(!contains(r->body, r->len, t->refresh), "%s %s: an error echoes the refresh token",
                     rq->method, rq->path);
        }
        return;
    }
    if (r->status == 204) {
        FZ_CHECK(r->len == 0, "%s %s: 204 with a body", rq->method, rq->path);
        return;
    }
    if (r->content_type && strcmp(r->content_type, "application/json") == 0) {
        json_t *j = json_loadb(r->body, r->len, 0, NULL);
        FZ_CHECK(j && json_is_object(j), "%s %s: a %u answer is not a JSON object: %.200s", rq->method, rq->path,
                 r->status, r->body);
        json_decref(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 32 * 1024)
        return 0;
    tokens t = {NULL, NULL};
    if (has_placeholder(data, size))
        login(&t);
    size_t len;
    char *text = expand(data, size, &t, &len);
    /* parse_request cuts text up: the checks see an intact copy. */
    char *orig = jotd_xstrndup(text, len);
    request rq;
    parse_request(text, len, &rq);
    jotd_http_local_resp resp;
    jotd_http_handle_local(g_http, rq.method, rq.path, rq.headers, rq.nheaders, rq.body, rq.len, &resp);
    if (getenv("JOT_FUZZ_TRACE"))
        fprintf(stderr, "%s %s -> %u %.300s\n", rq.method, rq.path, resp.status, resp.body);
    check_response(&rq, &resp, &t, orig, len);
    jotd_free_secret(resp.body);
    jot_wipe(orig, len);
    free(orig);
    jot_wipe(text, len);
    free(text);
    if (t.access)
        logout(&t);
    jotd_free_secret(t.access);
    jotd_free_secret(t.refresh);
    /* The periodic work of a running jotd: key and revocation reloads,
     * purges. */
    if (++g_runs % 512 == 0)
        jotd_app_tick(g_auth, jotd_now());
    return 0;
}
