/*
 * server/http/http.h - jotd's HTTP layer on GNU libmicrohttpd.
 *
 * It owns the sockets, the thread pool, routing by method and path,
 * request bodies (bounded, JSON or form, parsed into parameters), error
 * responses in the one JSON shape of the contract
 * ({"error":"CODE","error_description":"..."}), and one JSON log line per
 * request. Handlers (server/endpoints) see only the jotd_req interface below; this
 * layer knows nothing of tokens or of the store.
 *
 * A handler runs on one of the HTTP threads and must be short. A handler with
 * slow work (password hashing) calls jotd_req_suspend, hands the request to
 * another thread and returns; that thread answers with one of the jotd_resp_*
 * calls and then jotd_req_resume. The HTTP threads go on serving other
 * connections meanwhile.
 */
#ifndef JOTD_HTTP_H
#define JOTD_HTTP_H

#include <stddef.h>

#include "params.h"

typedef struct jotd_http jotd_http;
typedef struct jotd_req jotd_req;

typedef void (*jotd_handler)(jotd_req *req, void *ctx);

/* Bodies a route accepts (an empty body is always accepted). */
#define JOTD_BODY_NONE 0u
#define JOTD_BODY_JSON 1u
#define JOTD_BODY_FORM 2u

typedef struct jotd_http_options {
    const char *host;       /* numeric address or name to bind */
    unsigned port;
    unsigned threads;
    unsigned connection_limit;
    unsigned timeout_seconds;
    size_t max_body;        /* bytes; larger bodies get 413 */
    unsigned max_headers;   /* more request headers get 431 */
    const char *tls_cert;   /* PEM text, or NULL for plain HTTP */
    const char *tls_key;
    int log_requests;
    /* Called once per finished request (any thread): the index of the
     * route in the order jotd_http_route registered them (or -1 when none
     * matched), the status sent, and the time from the first byte of the
     * request to the response being queued. */
    void (*observe)(int route, unsigned status, double seconds, void *ctx);
    void *observe_ctx;
} jotd_http_options;

jotd_http *jotd_http_new(void);

/* Route METHOD PATH to fn. PATH matches exactly, or, when its last segment
 * is a {name} ("/sessions/{id}"), any path of that prefix plus one non-empty segment
 * without '/' (the handler reads it with jotd_req_path_segment). GET routes
 * answer HEAD too. */
void jotd_http_route(jotd_http *h, const char *method, const char *path, unsigned bodies, jotd_handler fn,
                     void *ctx);

/* Bind and start serving. -1 with a reason in err on failure. */
int jotd_http_start(jotd_http *h, const jotd_http_options *o, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
unsigned jotd_http_port(const jotd_http *h);

/* Stop accepting connections, wait up to grace_ms for the requests in
 * flight (suspended ones included) to be answered, then close everything. */
void jotd_http_stop(jotd_http *h, unsigned grace_ms);

void jotd_http_free(jotd_http *h);

/* ---- In-process requests (tests and the fuzz target) ------------------ */

/* One request header of a local request. */
typedef struct jotd_http_header {
    const char *name;
    const char *value;
} jotd_http_header;

/* The answer to a local request. body is NUL-terminated (len bytes before
 * the NUL) and the caller's, to free with jotd_free_secret (it may hold
 * tokens); content_type is a static string or NULL. */
typedef struct jotd_http_local_resp {
    unsigned status;
    const char *content_type;
    char *body;
    size_t len;
} jotd_http_local_resp;

/* Run one request through the same path as one from a socket -- the header
 * limits, routing (404, 405), the body limit and parsing, the handler --
 * without a daemon: h needs its routes and options (set by
 * jotd_http_set_options instead of jotd_http_start). path may carry a query
 * string, which is dropped as libmicrohttpd drops it. A handler that
 * suspends the request is waited for (the calling thread blocks until it is
 * resumed). The client address is 127.0.0.1. Any thread; h is not
 * started. */
void jotd_http_set_options(jotd_http *h, const jotd_http_options *o);
void jotd_http_handle_local(jotd_http *h, const char *method, const char *path, const jotd_http_header *headers,
                            size_t nheaders, const char *body, size_t len, jotd_http_local_resp *out);

/* ---- The request, for handlers ------------------------------------- */

const char *jotd_req_method(const jotd_req *r);
const char *jotd_req_path(const jotd_req *r);
/* The last segment of the path (after its last '/'): the {id} of a route
 * "/sessions/{id}". */
const char *jotd_req_path_segment(const jotd_req *r);
/* A request header (case-insensitive name), or NULL. */
const char *jotd_req_header(const jotd_req *r, const char *name);
/* Every line of a header that may come several times (X-Forwarded-For),
 * joined with "," in the order they came, into buf (n bytes): 1, or 0 when
 * there is none, or -1 when they do not fit. */
int jotd_req_header_list(const jotd_req *r, const char *name, char *buf, size_t n);
/* A cookie's value, or NULL. */
const char *jotd_req_cookie(const jotd_req *r, const char *name);
/* The client's address as text ("127.0.0.1", "::1"). */
const char *jotd_req_client(const jotd_req *r);
/* The body's parameters (empty when the body was empty). */
const jotd_params *jotd_req_params(const jotd_req *r);
/* A string parameter, or NULL when absent or not a string. */
const char *jotd_req_param(const jotd_req *r, const char *name);
/* The kind of a parameter (JOTD_P_ABSENT when there is none). */
jotd_pkind jotd_req_param_kind(const jotd_req *r, const char *name);
/* Whether the request came with a non-empty body. */
int jotd_req_has_body(const jotd_req *r);

/* Add a response header (copied). At most 16 per response. */
void jotd_resp_header(jotd_req *r, const char *name, const char *value);
/* Set the response: status, content type (a static string, or NULL for
 * none) and body (copied, may be empty). Each request is answered exactly
 * once. */
void jotd_resp_body(jotd_req *r, unsigned status, const char *content_type, const char *body, size_t len);
/* A JSON response (application/json). */
void jotd_resp_json(jotd_req *r, unsigned status, const char *json);
/* The contract's error shape: {"error":code,"error_description":desc}. */
void jotd_resp_error(jotd_req *r, unsigned status, const char *code, const char *description);

/* A response built once and sent any number of times, from any thread at
 * once, without copying: /verify's answer for one token, kept in its cache.
 * It carries the headers every response carries and the ones given, and an
 * empty body. Reference counted: _new gives one reference, _release drops
 * one, and a request answered with it holds its own until it is sent. */
typedef struct jotd_shared_resp jotd_shared_resp;
jotd_shared_resp *jotd_shared_resp_new(unsigned status, const char *const *names, const char *const *values,
                                       size_t n);
void jotd_shared_resp_ref(jotd_shared_resp *s);
void jotd_shared_resp_release(jotd_shared_resp *s);
/* Answer r with s (s gains a reference for as long as r needs it). */
void jotd_resp_shared(jotd_req *r, jotd_shared_resp *s);

/* A short event name for the request's log line ("reuse_detected"); the
 * string must be static. */
void jotd_req_note(jotd_req *r, const char *event);

/* Suspend the request (from its handler, before handing it to another
 * thread); answer it later from any thread with jotd_resp_* and then
 * jotd_req_resume. */
void jotd_req_suspend(jotd_req *r);
void jotd_req_resume(jotd_req *r);

#endif
