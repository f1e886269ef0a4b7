/* server/web/web.c - see web.h */
#include <string.h>

#include "web/files.h"
#include "web/web.h"

/* Scripts, styles, images and fetches from jotd itself only; no inline
 * script or style (the pages have none), no plugins, no <base>, no framing
 * (clickjacking), forms posting nowhere else. */
#define CSP                                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "           \
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"

/* Whether an If-None-Match header names this ETag ("*", one tag, or a
 * list; a weak W/ prefix compares equal, RFC 9110 13.1.2). */
static int etag_matches(const char *inm, const char *etag)
{
    if (strcmp(inm, "*") == 0)
        return 1;
    return strstr(inm, etag) != NULL;
}

static void serve_file(jotd_req *r, void *ctx)
{
    const jotd_web_file *f = ctx;
    jotd_resp_header(r, "Content-Security-Policy", CSP);
    jotd_resp_header(r, "Referrer-Policy", "no-referrer");
    jotd_resp_header(r, "X-Frame-Options", "DENY");
    jotd_resp_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    jotd_resp_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    /* Cached, but revalidated at each use: a new jotd's pages replace the
     * old ones at once, and an unchanged page costs a 304. */
    jotd_resp_header(r, "Cache-Control", "no-cache");
    jotd_resp_header(r, "ETag", f->etag);
    const char *inm = jotd_req_header(r, "If-None-Match");
    if (inm && etag_matches(inm, f->etag)) {
        jotd_resp_body(r, 304, NULL, NULL, 0);
        return;
    }
    jotd_resp_body(r, 200, f->content_type, (const char *)f->data, f->len);
}

void jotd_web_routes(jotd_http *h)
{
    for (size_t i = 0; i < jotd_web_nfiles; i++)
        jotd_http_route(h, "GET", jotd_web_files[i].path, JOTD_BODY_NONE, serve_file, (void *)&jotd_web_files[i]);
}
