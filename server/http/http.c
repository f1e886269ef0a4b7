/* server/http/http.c - see http.h */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "base/mem.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"

#define MAX_RESP_HEADERS 16
#define MAX_HEADER_BYTES (16u * 1024u)
#define LOG_PATH_MAX 200
#define UNMATCHED_PATH_MAX 48
#define LOCAL_MAX_COOKIES 16

typedef struct route {
    char *method;
    char *path;
    unsigned bodies;
    jotd_handler fn;
    void *ctx;
} route;

struct jotd_http {
    struct MHD_Daemon *daemon;
    route *routes;
    size_t nroutes;
    jotd_http_options o;
    char *tls_cert;
    char *tls_key;
    unsigned port;
    atomic_uint inflight;
    atomic_bool stopping; /* new connections are closed at once */
    struct sockaddr_storage addr;
};

enum req_state {
    REQ_READING = 0, /* receiving the body */
    REQ_DISPATCHED,  /* the handler ran (or an error was decided) */
};

struct jotd_req {
    jotd_http *h;
    struct MHD_Connection *conn;
    const route *route;
    enum req_state state;
    uint64_t t0;
    char method[16];
    char *path;
    char client[INET6_ADDRSTRLEN];

    jotd_buf body;
    int body_seen;
    int too_large;
    jotd_params params;

    /* The response, set once by jotd_resp_*. */
    int have_response;
    int queued;
    int suspended;
    unsigned status;
    const char *ctype;
    char *rbody; /* the data[] of a wiped_body, handed to libmicrohttpd */
    size_t rlen;
    jotd_shared_resp *shared;
    const char *hname[MAX_RESP_HEADERS];
    const char *hvalue[MAX_RESP_HEADERS];
    size_t nheaders;
    double seconds;
    const char *note;

    /* A local request (jotd_http_handle_local): conn is NULL, the headers
     * are the caller's, the cookies are parsed from a copy of the Cookie
     * header, and a suspended handler is waited for on the condition. */
    const jotd_http_header *lhdr;
    size_t nlhdr;
    char *lcookies;
    const char *cname[LOCAL_MAX_COOKIES];
    const char *cvalue[LOCAL_MAX_COOKIES];
    size_t ncookies;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int resumed;

    /* Header names and values are copied here (or, beyond it, to the
     * heap); it is wiped at the end, as Set-Cookie values hold tokens. */
    size_t arena_used;
    char arena[1024];
};

struct jotd_shared_resp {
    struct MHD_Response *resp;
    unsigned status;
    atomic_uint refs;
};

/* ---- Routing ---------------------------------------------------------- */

jotd_http *jotd_http_new(void)
{
    jotd_http *h = jotd_xcalloc(1, sizeof *h);
    atomic_init(&h->inflight, 0);
    atomic_init(&h->stopping, false);
    return h;
}

void jotd_http_route(jotd_http *h, const char *method, const char *path, unsigned bodies, jotd_handler fn,
                     void *ctx)
{
    h->routes = jotd_xrealloc(h->routes, (h->nroutes + 1) * sizeof *h->routes);
    route *r = &h->routes[h->nroutes++];
    r->method = jotd_xstrdup(method);
    r->path = jotd_xstrdup(path);
    r->bodies = bodies;
    r->fn = fn;
    r->ctx = ctx;
}

static int method_matches(const route *rt, const char *method)
{
    if (strcmp(rt->method, method) == 0)
        return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0;
}

/* Whether a route's pattern ends in a {name} segment. */
static int path_has_param(const char *pattern)
{
    const char *slash = strrchr(pattern, '/');
    return slash && slash[1] == '{' && pattern[strlen(pattern) - 1] == '}';
}

/* Whether path is the route's: equal, or for a route "/prefix/{name}", the
 * prefix followed by one non-empty segment (no further '/'). */
static int path_matches(const char *pattern, const char *path)
{
    if (!path_has_param(pattern))
        return strcmp(pattern, path) == 0;
    size_t n = (size_t)(strrchr(pattern, '/') - pattern) + 1;
    if (strncmp(pattern, path, n) != 0)
        return 0;
    return path[n] != '\0' && strchr(path + n, '/') == NULL;
}

/* The route for method + path; *path_known tells a 405 from a 404. */
static const route *find_route(const jotd_http *h, const char *method, const char *path, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < h->nroutes; i++) {
        if (!path_matches(h->routes[i].path, path))
            continue;
        *path_known = 1;
        if (method_matches(&h->routes[i], method))
            return &h->routes[i];
    }
    return NULL;
}

/* ---- Responses -------------------------------------------------------- */

/* A response body that is wiped when libmicrohttpd lets it go (it may hold
 * tokens). */
typedef struct wiped_body {
    size_t n;
    char data[];
} wiped_body;

static void free_wiped(void *cls)
{
    wiped_body *w = (wiped_body *)((char *)cls - offsetof(wiped_body, data));
    jot_wipe(w->data, w->n);
    free(w);
}

/* A copy of s in the request's arena, or on the heap when it is full. */
static const char *req_strdup(jotd_req *r, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n <= sizeof r->arena - r->arena_used) {
        char *p = r->arena + r->arena_used;
        memcpy(p, s, n);
        r->arena_used += n;
        return p;
    }
    return jotd_xstrdup(s);
}

static int in_arena(const jotd_req *r, const char *p)
{
    return p >= r->arena && p < r->arena + sizeof r->arena;
}

void jotd_resp_header(jotd_req *r, const char *name, const char *value)
{
    if (r->nheaders >= MAX_RESP_HEADERS)
        return;
    r->hname[r->nheaders] = req_strdup(r, name);
    r->hvalue[r->nheaders] = req_strdup(r, value);
    r->nheaders++;
}

void jotd_resp_body(jotd_req *r, unsigned status, const char *content_type, const char *body, size_t len)
{
    if (r->have_response)
        return;
    if (!body)
        len = 0;
    r->status = status;
    r->ctype = content_type;
    wiped_body *w = jotd_xmalloc(sizeof *w + len + 1);
    w->n = len;
    if (len)
        memcpy(w->data, body, len);
    w->data[len] = '\0';
    r->rbody = w->data;
    r->rlen = len;
    r->seconds = (double)(jotd_mono_ns() - r->t0) / 1e9;
    r->have_response = 1;
}

void jotd_resp_json(jotd_req *r, unsigned status, const char *json)
{
    jotd_resp_body(r, status, "application/json", json, strlen(json));
}

void jotd_resp_error(jotd_req *r, unsigned status, const char *code, const char *description)
{
    char stack[256];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
    jotd_buf_adds(&b, "{\"error\":");
    jotd_buf_json_str(&b, code);
    jotd_buf_adds(&b, ",\"error_description\":");
    jotd_buf_json_str(&b, description);
    jotd_buf_adds(&b, "}");
    jotd_resp_json(r, status, b.p);
    jotd_buf_release(&b);
}

void jotd_req_note(jotd_req *r, const char *event)
{
    r->note = event;
}

static int has_header(const jotd_req *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (jotd_strcaseeq(r->hname[i], name))
            return 1;
    return 0;
}

/* The headers every response carries. RFC 6749 5.1: responses carrying
 * tokens must not be cached; nothing else jotd says benefits from caching
 * except the JWKS, which sets its own Cache-Control. */
static void common_headers(struct MHD_Response *resp, int cacheable)
{
    if (!cacheable) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_PRAGMA, "no-cache");
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

jotd_shared_resp *jotd_shared_resp_new(unsigned status, const char *const *names, const char *const *values,
                                       size_t n)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return NULL;
    common_headers(resp, 0);
    for (size_t i = 0; i < n; i++)
        MHD_add_response_header(resp, names[i], values[i]);
    jotd_shared_resp *s = jotd_xmalloc(sizeof *s);
    s->resp = resp;
    s->status = status;
    atomic_init(&s->refs, 1);
    return s;
}

void jotd_shared_resp_ref(jotd_shared_resp *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void jotd_shared_resp_release(jotd_shared_resp *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        /* libmicrohttpd counts its own references: a response still being
         * sent somewhere lives on until it is done. */
        MHD_destroy_response(s->resp);
        free(s);
    }
}

void jotd_resp_shared(jotd_req *r, jotd_shared_resp *s)
{
    if (r->have_response)
        return;
    jotd_shared_resp_ref(s);
    r->shared = s;
    r->status = s->status;
    r->seconds = (double)(jotd_mono_ns() - r->t0) / 1e9;
    r->have_response = 1;
}

static enum MHD_Result queue(jotd_req *r)
{
    if (r->shared) {
        enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->shared->resp);
        r->queued = 1;
        return ret;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(r->rlen, r->rbody, free_wiped);
    if (!resp)
        return MHD_NO;
    /* libmicrohttpd owns the body now, and frees it with free_wiped. */
    r->rbody = NULL;
    if (r->ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    common_headers(resp, has_header(r, "Cache-Control"));
    for (size_t i = 0; i < r->nheaders; i++)
        MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    r->queued = 1;
    return ret;
}

/* ---- Request accessors ------------------------------------------------ */

const char *jotd_req_method(const jotd_req *r)
{
    return r->method;
}

const char *jotd_req_path(const jotd_req *r)
{
    return r->path;
}

const char *jotd_req_path_segment(const jotd_req *r)
{
    const char *slash = strrchr(r->path, '/');
    return slash ? slash + 1 : r->path;
}

const char *jotd_req_header(const jotd_req *r, const char *name)
{
    if (!r->conn) {
        for (size_t i = 0; i < r->nlhdr; i++)
            if (jotd_strcaseeq(r->lhdr[i].name, name))
                return r->lhdr[i].value;
        return NULL;
    }
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

typedef struct header_join {
    const char *name;
    char *buf;
    size_t n, used;
    int found, overflow;
} header_join;

static void join_value(header_join *j, const char *value)
{
    size_t len = strlen(value) + (j->found ? 1 : 0);
    if (j->used + len + 1 > j->n) {
        j->overflow = 1;
        return;
    }
    if (j->found)
        j->buf[j->used++] = ',';
    memcpy(j->buf + j->used, value, strlen(value) + 1);
    j->used += strlen(value);
    j->found = 1;
}

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    header_join *j = cls;
    if (key && value && jotd_strcaseeq(key, j->name))
        join_value(j, value);
    return MHD_YES;
}

int jotd_req_header_list(const jotd_req *r, const char *name, char *buf, size_t n)
{
    header_join j = {name, buf, n, 0, 0, 0};
    if (n)
        buf[0] = '\0';
    if (!r->conn) {
        for (size_t i = 0; i < r->nlhdr; i++)
            if (jotd_strcaseeq(r->lhdr[i].name, name))
                join_value(&j, r->lhdr[i].value);
    } else {
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_header, &j);
    }
    return j.overflow ? -1 : j.found;
}

const char *jotd_req_cookie(const jotd_req *r, const char *name)
{
    if (!r->conn) {
        for (size_t i = 0; i < r->ncookies; i++)
            if (strcmp(r->cname[i], name) == 0)
                return r->cvalue[i];
        return NULL;
    }
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *jotd_req_client(const jotd_req *r)
{
    return r->client;
}

const jotd_params *jotd_req_params(const jotd_req *r)
{
    return &r->params;
}

const char *jotd_req_param(const jotd_req *r, const char *name)
{
    const jotd_param *p = jotd_params_get(&r->params, name);
    return (p && p->kind == JOTD_P_STRING) ? p->value : NULL;
}

jotd_pkind jotd_req_param_kind(const jotd_req *r, const char *name)
{
    const jotd_param *p = jotd_params_get(&r->params, name);
    return p ? p->kind : JOTD_P_ABSENT;
}

int jotd_req_has_body(const jotd_req *r)
{
    return r->body_seen;
}

void jotd_req_suspend(jotd_req *r)
{
    r->suspended = 1;
    if (r->conn)
        MHD_suspend_connection(r->conn);
}

void jotd_req_resume(jotd_req *r)
{
    if (r->conn) {
        MHD_resume_connection(r->conn);
        return;
    }
    /* After the unlock the waiting thread owns r again: touch nothing. */
    pthread_mutex_lock(&r->lock);
    r->resumed = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

/* Call fn for each request header, in the order they came. */
static void each_header(const jotd_req *r, MHD_KeyValueIterator fn, void *cls)
{
    if (r->conn) {
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, fn, cls);
        return;
    }
    for (size_t i = 0; i < r->nlhdr; i++)
        fn(cls, MHD_HEADER_KIND, r->lhdr[i].name, r->lhdr[i].value);
}

/* ---- Message framing -------------------------------------------------- */

/* The headers that say where a request's body ends (RFC 9112 6.1-6.3), as
 * they came: libmicrohttpd 0.9.75 frames a body by the first
 * Transfer-Encoding line if there is one (and decodes chunks only when its
 * value is "chunked", any case), else by the first Content-Length line, and
 * looks at no other. A front proxy that reads the same bytes another way
 * (by the other header, or the other line) sees another request where the
 * body ends: request smuggling. Only what both must read alike is let in. */
typedef struct framing {
    unsigned te_lines, cl_lines;
    const char *te, *cl; /* the first line of each */
    int bad_name;
} framing;

/* RFC 9110 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* RFC 9110 8.6: Content-Length = 1*DIGIT. */
static int is_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static enum MHD_Result scan_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    framing *f = cls;
    if (!value)
        value = "";
    /* RFC 9112 5: the leading white space is not part of the value;
     * libmicrohttpd strips it (and keeps any trailing), a local request's
     * is stripped here the same way. */
    value += strspn(value, " \t");
    if (!is_token(key))
        f->bad_name = 1;
    else if (jotd_strcaseeq(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) && f->te_lines++ == 0)
        f->te = value;
    else if (jotd_strcaseeq(key, MHD_HTTP_HEADER_CONTENT_LENGTH) && f->cl_lines++ == 0)
        f->cl = value;
    return MHD_YES;
}

/* Why the request's framing is refused, or NULL. version is the request
 * line's ("HTTP/1.1"), NULL for a local request. */
static const char *framing_error(const jotd_req *r, const char *version)
{
    framing f = {0, 0, NULL, NULL, 0};
    each_header(r, scan_framing, &f);
    /* RFC 9112 5.1: white space between a field name and the colon (which
     * libmicrohttpd keeps as part of the name: "Content-Length ") MUST be
     * refused with 400; so is any name that is not a token. */
    if (f.bad_name)
        return "a header field name is not a token";
    if (f.te_lines) {
        /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing. */
        if (version && strcmp(version, "HTTP/1.0") == 0)
            return "Transfer-Encoding in an HTTP/1.0 request";
        /* RFC 9112 6.1, 6.3: with both, a server MAY reject; it closes the
         * connection anyway. */
        if (f.cl_lines)
            return "Transfer-Encoding and Content-Length together";
        /* RFC 9112 6.3 (4): when chunked is not the final coding the
         * length cannot be determined: 400. "chunked" once, and nothing
         * else, is the only coding jotd takes ("gzip, chunked" too is 400,
         * not 501: one status for every framing error, and no body jotd
         * takes is ever compressed); a trailing space, a second line or
         * list member, are not what libmicrohttpd decodes either. */
        if (f.te_lines > 1 || !jotd_strcaseeq(f.te, "chunked"))
            return "the only Transfer-Encoding accepted is chunked";
    }
    /* RFC 9112 6.3 (5), RFC 9110 8.6: several Content-Length lines are
     * refused even when they agree, so that nobody has to pick one. */
    if (f.cl_lines > 1)
        return "more than one Content-Length";
    if (f.cl_lines && !is_digits(f.cl))
        return "Content-Length is not a number";
    return NULL;
}

/* A framing error: 400, and the connection closed after it (RFC 9112 6.3:
 * the bytes after the headers may be anything, another request included,
 * and none of them may be read as one). libmicrohttpd 0.9.75 closes any
 * connection whose response is queued before its body is read (and its own
 * comments say that may change); the explicit "Connection: close" makes it
 * close this one whatever it does with the unread body. */
static void refuse_framing(jotd_req *r, const char *why)
{
    jotd_resp_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    jotd_resp_error(r, 400, "invalid_request", why);
    jotd_req_note(r, "bad_framing");
    r->state = REQ_DISPATCHED;
}

/* ---- The request life cycle ------------------------------------------- */

typedef struct header_count {
    unsigned n;
    size_t bytes;
} header_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    header_count *hc = cls;
    hc->n++;
    hc->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static void client_address(jotd_req *r)
{
    if (!r->conn) {
        strcpy(r->client, "127.0.0.1");
        return;
    }
    strcpy(r->client, "unknown");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->client, sizeof r->client);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->client,
                  sizeof r->client);
}

/* The media type of the request, lower-cased, without parameters; *bad_charset
 * is set when a charset other than UTF-8 is named (RFC 8259 8.1). */
static void media_type(const jotd_req *r, char *out, size_t n, int *bad_charset)
{
    *bad_charset = 0;
    out[0] = '\0';
    const char *ct = jotd_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct)
        return;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t i = 0;
    while (ct[i] && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t' && i + 1 < n) {
        char c = ct[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        i++;
    }
    out[i] = '\0';
    const char *semi = strchr(ct, ';');
    while (semi) {
        const char *p = semi + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (jotd_strncaseeq(p, "charset=", 8)) {
            const char *v = p + 8;
            if (*v == '"')
                v++;
            if (!jotd_strncaseeq(v, "utf-8", 5) || (v[5] && v[5] != '"' && v[5] != ';' && v[5] != ' '))
                *bad_charset = 1;
        }
        semi = strchr(p, ';');
    }
}

static void parse_body(jotd_req *r)
{
    if (!r->body_seen)
        return;
    char mt[64];
    int bad_charset;
    media_type(r, mt, sizeof mt, &bad_charset);
    unsigned bodies = r->route->bodies;
    if (bodies == JOTD_BODY_NONE)
        return; /* A body where none is expected is ignored. */
    const char *why = NULL;
    if (bad_charset) {
        jotd_resp_error(r, 415, "unsupported_media_type", "the body must be UTF-8");
        return;
    }
    if (strcmp(mt, "application/json") == 0 && (bodies & JOTD_BODY_JSON)) {
        if (jotd_params_from_json(r->body.p, r->body.len, &r->params, &why) != 0)
            jotd_resp_error(r, 400, "invalid_request", why);
        return;
    }
    if (strcmp(mt, "application/x-www-form-urlencoded") == 0 && (bodies & JOTD_BODY_FORM)) {
        if (jotd_params_from_form(r->body.p, r->body.len, &r->params, &why) != 0)
            jotd_resp_error(r, 400, "invalid_request", why);
        return;
    }
    jotd_resp_error(r, 415, "unsupported_media_type",
                    (bodies & JOTD_BODY_FORM) ? "use application/json or application/x-www-form-urlencoded"
                                              : "use application/json");
}

static void allow_header(jotd_req *r)
{
    char stack[128];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
    for (size_t i = 0; i < r->h->nroutes; i++) {
        if (!path_matches(r->h->routes[i].path, r->path))
            continue;
        if (b.len)
            jotd_buf_adds(&b, ", ");
        jotd_buf_adds(&b, r->h->routes[i].method);
        if (strcmp(r->h->routes[i].method, "GET") == 0)
            jotd_buf_adds(&b, ", HEAD");
    }
    jotd_resp_header(r, "Allow", b.p);
    jotd_buf_release(&b);
}

/* The first call for a request: everything decided from the headers alone.
 * version is the request line's, NULL for a local request. */
static void begin(jotd_req *r, const char *url, const char *method, const char *version)
{
    jotd_http *h = r->h;
    snprintf(r->method, sizeof r->method, "%s", method);
    r->path = jotd_xstrdup(url);
    client_address(r);

    header_count hc = {0, 0};
    each_header(r, count_header, &hc);
    if (hc.n > h->o.max_headers || hc.bytes > MAX_HEADER_BYTES) {
        jotd_resp_error(r, 431, "request_header_fields_too_large", "too many or too large request headers");
        r->state = REQ_DISPATCHED;
        return;
    }
    const char *why = framing_error(r, version);
    if (why) {
        refuse_framing(r, why);
        return;
    }
    int path_known;
    r->route = find_route(h, method, url, &path_known);
    if (!r->route) {
        if (path_known) {
            allow_header(r);
            jotd_resp_error(r, 405, "method_not_allowed", "this method is not allowed on this path");
        } else {
            jotd_resp_error(r, 404, "not_found", "no such endpoint");
        }
        r->state = REQ_DISPATCHED;
        return;
    }
    const char *cl = jotd_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || *end || n > h->o.max_body) {
            jotd_resp_error(r, 413, "request_too_large", "the request body is too large");
            r->state = REQ_DISPATCHED;
            return;
        }
    }
}

/* A handler that returned without a response is a bug: 500, and the
 * route's pattern logged (the path itself may hold a client's token). */
static void answer_missing(jotd_req *r)
{
    if (r->have_response)
        return;
    jotd_log("error", "handler returned without a response", "route", r->route ? r->route->path : "(none)", NULL);
    jotd_resp_error(r, 500, "server_error", "internal error");
}

static void dispatch(jotd_req *r)
{
    r->state = REQ_DISPATCHED;
    if (r->too_large) {
        jotd_resp_error(r, 413, "request_too_large", "the request body is too large");
        return;
    }
    parse_body(r);
    if (r->have_response)
        return;
    r->route->fn(r, r->route->ctx);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    jotd_http *h = cls;
    jotd_req *r = *con_cls;
    if (!r) {
        r = jotd_xcalloc(1, sizeof *r);
        r->h = h;
        r->conn = conn;
        r->t0 = jotd_mono_ns();
        *con_cls = r;
        atomic_fetch_add(&h->inflight, 1);
        begin(r, url, method, version);
        if (r->have_response)
            return queue(r);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->state != REQ_READING || r->too_large)
            return MHD_YES;
        r->body_seen = 1;
        if (r->body.len + n > h->o.max_body) {
            r->too_large = 1;
            jotd_buf_release(&r->body);
            return MHD_YES;
        }
        jotd_buf_add(&r->body, upload_data, n);
        return MHD_YES;
    }
    if (r->state == REQ_READING) {
        dispatch(r);
        if (r->suspended)
            return MHD_YES;
    } else if (r->suspended) {
        /* Called again after jotd_req_resume: the response is ready. */
        r->suspended = 0;
    }
    if (r->queued)
        return MHD_YES;
    answer_missing(r);
    return queue(r);
}

static void log_request(const jotd_req *r, enum MHD_RequestTerminationCode toe)
{
    char stack[512];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
    jotd_log_head(&b, "info", "request");
    jotd_buf_adds(&b, ",\"method\":");
    jotd_buf_json_str(&b, r->method);
    jotd_buf_adds(&b, ",\"path\":");
    /* Only the path: libmicrohttpd hands over the URL without its query
     * string, so no parameter can reach the log. A path that is no route
     * is the client's text (a token pasted into a URL, say): only its
     * first UNMATCHED_PATH_MAX bytes are logged, too few to hold a token's
     * signature. */
    size_t pl = strlen(r->path ? r->path : "");
    size_t cap = r->route ? LOG_PATH_MAX : UNMATCHED_PATH_MAX;
    /* A "path" that does not start with '/' is no path a client meant: it
     * is the bytes of something else read as a request line (a body sent
     * without its length, say, which may hold a password). None of it. */
    if (!r->path || r->path[0] != '/')
        cap = 0;
    /* The {id} segment of a route is the client's text too (a token
     * pasted as a session id): the same few bytes of it. */
    if (r->route && r->path && path_has_param(r->route->path)) {
        size_t prefix = (size_t)(strrchr(r->path, '/') - r->path) + 1;
        if (prefix + UNMATCHED_PATH_MAX < cap)
            cap = prefix + UNMATCHED_PATH_MAX;
    }
    jotd_buf_json_strn(&b, r->path ? r->path : "", pl > cap ? cap : pl);
    jotd_buf_printf(&b, ",\"status\":%u,\"ms\":%.3f,\"client\":", r->queued ? r->status : 0u, r->seconds * 1e3);
    jotd_buf_json_str(&b, r->client);
    if (r->note) {
        jotd_buf_adds(&b, ",\"event\":");
        jotd_buf_json_str(&b, r->note);
    }
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        jotd_buf_printf(&b, ",\"aborted\":%d", (int)toe);
    jotd_buf_adds(&b, "}");
    jotd_log_raw(b.p, b.len);
    jotd_buf_release(&b);
}

/* Log and observe a finished request, and free it. */
static void finish(jotd_http *h, jotd_req *r, enum MHD_RequestTerminationCode toe)
{
    if (h->o.log_requests)
        log_request(r, toe);
    if (h->o.observe)
        h->o.observe(r->route ? (int)(r->route - h->routes) : -1, r->queued ? r->status : 0u, r->seconds,
                     h->o.observe_ctx);
    jotd_buf_release(&r->body);
    jotd_params_release(&r->params);
    free(r->path);
    if (r->rbody)
        free_wiped(r->rbody); /* never handed over */
    jotd_shared_resp_release(r->shared);
    for (size_t i = 0; i < r->nheaders; i++) {
        if (!in_arena(r, r->hname[i]))
            free((char *)r->hname[i]);
        if (!in_arena(r, r->hvalue[i]))
            jotd_free_secret((char *)r->hvalue[i]); /* Set-Cookie values hold tokens. */
    }
    jot_wipe(r->arena, r->arena_used);
    jotd_free_secret(r->lcookies);
    free(r);
    atomic_fetch_sub(&h->inflight, 1);
}

/* MHD's accept policy: while jotd stops, a new connection is closed as
 * soon as it is accepted. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    const jotd_http *h = cls;
    return atomic_load(&h->stopping) ? MHD_NO : MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    jotd_http *h = cls;
    jotd_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    finish(h, r, toe);
}

/* ---- In-process requests ---------------------------------------------- */

/* Split a copy of the Cookie header into name=value pairs, as
 * libmicrohttpd does: separated by ';' and spaces, values maybe quoted. */
static void local_cookies(jotd_req *r)
{
    const char *c = jotd_req_header(r, MHD_HTTP_HEADER_COOKIE);
    if (!c)
        return;
    r->lcookies = jotd_xstrdup(c);
    char *p = r->lcookies;
    while (*p && r->ncookies < LOCAL_MAX_COOKIES) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        if (!*p)
            break;
        char *name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        if (*p != '=') {
            /* A name without a value is skipped. */
            if (*p)
                *p++ = '\0';
            continue;
        }
        *p++ = '\0';
        char *value = p;
        while (*p && *p != ';')
            p++;
        if (*p)
            *p++ = '\0';
        size_t vl = strlen(value);
        while (vl && (value[vl - 1] == ' ' || value[vl - 1] == '\t'))
            value[--vl] = '\0';
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        r->cname[r->ncookies] = name;
        r->cvalue[r->ncookies] = value;
        r->ncookies++;
    }
}

void jotd_http_set_options(jotd_http *h, const jotd_http_options *o)
{
    h->o = *o;
}

/* What queue() hands to libmicrohttpd, copied to the caller instead. */
static void local_answer(jotd_req *r, jotd_http_local_resp *out)
{
    out->status = r->status;
    out->content_type = r->shared ? NULL : r->ctype;
    out->len = r->shared ? 0 : r->rlen;
    out->body = jotd_xmalloc(out->len + 1);
    if (out->len)
        memcpy(out->body, r->rbody, out->len);
    out->body[out->len] = '\0';
    r->queued = 1;
}

void jotd_http_handle_local(jotd_http *h, const char *method, const char *path, const jotd_http_header *headers,
                            size_t nheaders, const char *body, size_t len, jotd_http_local_resp *out)
{
    jotd_req *r = jotd_xcalloc(1, sizeof *r);
    r->h = h;
    r->t0 = jotd_mono_ns();
    r->lhdr = headers;
    r->nlhdr = nheaders;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    atomic_fetch_add(&h->inflight, 1);
    local_cookies(r);
    char *url = jotd_xstrndup(path, strcspn(path, "?"));
    begin(r, url, method, NULL);
    free(url);
    if (!r->have_response && len) {
        r->body_seen = 1;
        if (len > h->o.max_body)
            r->too_large = 1;
        else
            jotd_buf_add(&r->body, body, len);
    }
    if (r->state == REQ_READING) {
        dispatch(r);
        if (r->suspended) {
            pthread_mutex_lock(&r->lock);
            while (!r->resumed)
                pthread_cond_wait(&r->cond, &r->lock);
            pthread_mutex_unlock(&r->lock);
        }
    }
    answer_missing(r);
    local_answer(r, out);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    finish(h, r, MHD_REQUEST_TERMINATED_COMPLETED_OK);
}


/* Percent-decoding of the path (and query arguments, which jotd ignores),
 * in place, as libmicrohttpd's own does, except that "%00" stays as it is:
 * a decoded NUL would cut the C string short, so that "/login%00.png" was
 * routed as "/login". */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *w = s;
    for (const char *p = s; *p; p++) {
        int hi = p[0] == '%' ? jotd_hex_digit((unsigned char)p[1]) : -1;
        int lo = hi >= 0 ? jotd_hex_digit((unsigned char)p[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    jotd_log("warn", msg, "source", "libmicrohttpd", NULL);
}

/* ---- Starting and stopping -------------------------------------------- */

int jotd_http_start(jotd_http *h, const jotd_http_options *o, char *err, size_t errlen)
{
    h->o = *o;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof port, "%u", o->port);
    int gai = getaddrinfo(o->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", o->host, gai_strerror(gai));
        return -1;
    }
    memcpy(&h->addr, ai->ai_addr, ai->ai_addrlen);
    int family = ai->ai_family;
    freeaddrinfo(ai);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    else
        flags |= MHD_USE_POLL;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (o->tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd has no TLS support");
            return -1;
        }
        flags |= MHD_USE_TLS;
        h->tls_cert = jotd_xstrdup(o->tls_cert);
        h->tls_key = jotd_xstrdup(o->tls_key);
    }

    struct MHD_OptionItem opts[16];
    size_t k = 0;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &h->addr};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)o->connection_limit, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->timeout_seconds, NULL};
    /* The per-connection memory pool holds the request line and headers;
     * 64 KiB leaves room for our own, friendlier limit (MAX_HEADER_BYTES,
     * answered with a JSON 431) to trigger first. */
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(64 * 1024), NULL};
    if (o->threads > 1)
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)o->threads, NULL};
    if (h->tls_cert) {
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
    }
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    h->daemon = MHD_start_daemon(flags, (uint16_t)o->port, on_accept, h, on_request, h, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errlen, "cannot listen on %s port %u (in use, or not allowed)", o->host, o->port);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : o->port;
    return 0;
}

unsigned jotd_http_port(const jotd_http *h)
{
    return h->port;
}

void jotd_http_stop(jotd_http *h, unsigned grace_ms)
{
    if (!h->daemon)
        return;
    /* New connections are refused by the accept policy, not by
     * MHD_quiesce_daemon: with epoll and worker threads, quiescing races
     * with the workers' own removal of the listen socket from their epoll
     * sets, and libmicrohttpd (0.9.75) aborts the process when it loses
     * (daemon.c: "Failed to remove listen FD from epoll set"). */
    atomic_store(&h->stopping, true);
    uint64_t deadline = jotd_mono_ns() + (uint64_t)grace_ms * 1000000u;
    while (atomic_load(&h->inflight) > 0 && jotd_mono_ns() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    unsigned left = atomic_load(&h->inflight);
    if (left) {
        char n[16];
        snprintf(n, sizeof n, "%u", left);
        jotd_log("warn", "stopping with requests still in flight", "requests", n, NULL);
    }
    MHD_stop_daemon(h->daemon);
    h->daemon = NULL;
}

void jotd_http_free(jotd_http *h)
{
    if (!h)
        return;
    if (h->daemon)
        jotd_http_stop(h, 0);
    for (size_t i = 0; i < h->nroutes; i++) {
        free(h->routes[i].method);
        free(h->routes[i].path);
    }
    free(h->routes);
    jotd_free_secret(h->tls_key);
    free(h->tls_cert);
    free(h);
}
